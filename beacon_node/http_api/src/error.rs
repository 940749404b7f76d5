//! API errors: every failure answers `{code, message}` with the status the schema defines,
//! never a bare 500 without a message.

use serde::Serialize;
use std::convert::Infallible;
use warp::http::StatusCode;
use warp::reject::Reject;
use warp::Reply;

/// An error the API answers with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
}

impl Reject for ApiError {}

impl ApiError {
    /// 400 with a message.
    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
        }
    }

    /// 404 with a message.
    pub fn not_found(message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::NOT_FOUND,
            message: message.into(),
        }
    }

    /// The same error with 404 turned into 400, for the operations whose schema (v1) defines
    /// no 404: there, a state or item that does not exist is a bad request.
    pub fn not_found_as_bad_request(self) -> Self {
        if self.status == StatusCode::NOT_FOUND {
            ApiError::bad_request(self.message)
        } else {
            self
        }
    }

    /// 500 with a message (a failure of the node, not of the request).
    pub fn server_error(message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            message: message.into(),
        }
    }

    /// 503: the node cannot answer yet.
    pub fn unavailable(message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::SERVICE_UNAVAILABLE,
            message: message.into(),
        }
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    code: u16,
    message: &'a str,
}

/// Turn any rejection into the schema's error body.
pub async fn handle_rejection(rejection: warp::Rejection) -> Result<impl Reply, Infallible> {
    // Rejections from several routes come combined: the most specific explanation wins.
    let (status, message) = if let Some(e) = rejection.find::<ApiError>() {
        (e.status, e.message.clone())
    } else if let Some(e) = rejection.find::<warp::filters::body::BodyDeserializeError>() {
        (StatusCode::BAD_REQUEST, format!("invalid JSON body: {e}"))
    } else if rejection.find::<warp::reject::PayloadTooLarge>().is_some() {
        (
            StatusCode::BAD_REQUEST,
            "request body too large".to_string(),
        )
    } else if rejection.find::<warp::reject::LengthRequired>().is_some() {
        (
            StatusCode::BAD_REQUEST,
            "a request body is required".to_string(),
        )
    } else if let Some(e) = rejection.find::<warp::reject::InvalidQuery>() {
        (StatusCode::BAD_REQUEST, format!("invalid query: {e}"))
    } else if rejection
        .find::<warp::reject::UnsupportedMediaType>()
        .is_some()
    {
        (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported content type".to_string(),
        )
    } else if rejection.find::<warp::reject::MethodNotAllowed>().is_some() {
        (
            StatusCode::METHOD_NOT_ALLOWED,
            "method not allowed".to_string(),
        )
    } else if rejection.is_not_found() {
        (StatusCode::NOT_FOUND, "no such endpoint".to_string())
    } else {
        (
            StatusCode::BAD_REQUEST,
            format!("invalid request: {rejection:?}"),
        )
    };
    let body = warp::reply::json(&ErrorBody {
        code: status.as_u16(),
        message: &message,
    });
    Ok(warp::reply::with_status(body, status))
}
