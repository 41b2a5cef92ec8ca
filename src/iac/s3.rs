//! Reading a state object from S3, where terraform's S3 backend keeps it.
//!
//! One `GetObject`; the bytes go to [`super::state::parse_state_bytes`] like a local file's.

use aws_config::SdkConfig;
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_s3::operation::get_object::GetObjectError;

use crate::error::{Error, Result};

/// The bytes of `s3://bucket/key`.
///
/// When the bucket lives in another region than the configuration's, S3 answers with an
/// error that names the bucket's region (header `x-amz-bucket-region`); we retry once there,
/// as the AWS CLI does, so that `--state s3://...` works whatever region is being scanned.
pub async fn get_object(sdk: &SdkConfig, bucket: &str, key: &str) -> Result<Vec<u8>> {
    let uri = format!("s3://{bucket}/{key}");
    let first = crate::aws_client::s3_client(sdk)
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await;
    let output = match first {
        Ok(out) => out,
        Err(err) => {
            let redirect = bucket_region(&err)
                .filter(|r| sdk.region().map(|own| own.as_ref()) != Some(r.as_str()));
            match redirect {
                Some(region) => {
                    let mut config = aws_sdk_s3::config::Builder::from(sdk)
                        .region(aws_sdk_s3::config::Region::new(region));
                    if sdk.endpoint_url().is_some() {
                        config = config.force_path_style(true);
                    }
                    aws_sdk_s3::Client::from_conf(config.build())
                        .get_object()
                        .bucket(bucket)
                        .key(key)
                        .send()
                        .await
                        .map_err(|e| s3_error(&uri, bucket, key, &e))?
                }
                None => return Err(s3_error(&uri, bucket, key, &err)),
            }
        }
    };
    let body = output.body.collect().await.map_err(|e| Error::StateS3 {
        uri: uri.clone(),
        reason: format!("the download was interrupted: {e}"),
    })?;
    Ok(body.into_bytes().to_vec())
}

/// The region S3 says the bucket is in, from a failed response.
fn bucket_region(err: &SdkError<GetObjectError>) -> Option<String> {
    let raw = err.raw_response()?;
    raw.headers().get("x-amz-bucket-region").map(str::to_string)
}

/// A precise reason for a failed `GetObject`.
fn s3_error(uri: &str, bucket: &str, key: &str, err: &SdkError<GetObjectError>) -> Error {
    let reason = match err {
        SdkError::ServiceError(service) => {
            let e = service.err();
            let message = e.message().unwrap_or("").to_string();
            match e.code() {
                Some("NoSuchKey") => format!("there is no object `{key}` in bucket `{bucket}`"),
                Some("NoSuchBucket") => format!("bucket `{bucket}` does not exist"),
                Some("AccessDenied") => format!(
                    "access denied: the credentials may not s3:GetObject `{key}` in `{bucket}`{}",
                    if message.is_empty() {
                        String::new()
                    } else {
                        format!(" ({message})")
                    }
                ),
                Some("InvalidObjectState") => format!(
                    "the object is archived (Glacier / Deep Archive) and must be restored first{}",
                    if message.is_empty() {
                        String::new()
                    } else {
                        format!(" ({message})")
                    }
                ),
                Some(code) if message.is_empty() => code.to_string(),
                Some(code) => format!("{code}: {message}"),
                None => DisplayErrorContext(err).to_string(),
            }
        }
        _ => DisplayErrorContext(err).to_string(),
    };
    Error::StateS3 {
        uri: uri.to_string(),
        reason,
    }
}
