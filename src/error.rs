//! The one error type at the edge: REST responses and server functions. User errors keep their status and
//! message; internal errors are logged in full and shown as a short generic message.

use serde::{Deserialize, Serialize};
use server_fn::codec::JsonEncoding;
use server_fn::error::{FromServerFnError, ServerFnErrorErr};

/// An error as the client sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// The request was malformed (for example an id that is not a UUID): 400.
    #[error("{0}")]
    BadRequest(String),
    /// A query (`?q=`, `?sort=`) that cannot be read: what is wrong, and the byte range of the offending token.
    #[error("{message}")]
    BadQuery {
        message: String,
        start: usize,
        end: usize,
    },
    /// No such run or result: 404.
    #[error("{0}")]
    NotFound(String),
    /// A file in the storage is damaged; the message names it relative to the storage root: 500.
    #[error("{0}")]
    Damaged(String),
    /// A sound file holds what the monitor does not read (complex numbers, text): 422.
    #[error("{0}")]
    Unsupported(String),
    /// A growing result asked for before its writer appended anything: nothing is wrong, only early: 409.
    #[error("{0}")]
    NoRowsYet(String),
    /// Anything else; the details are in the server log: 500.
    #[error("internal server error (see the server log)")]
    Internal,
    /// The call itself failed (network, encoding).
    #[error("request failed: {0}")]
    Transport(String),
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        Self::Transport(value.to_string())
    }
}

#[cfg(feature = "ssr")]
mod ssr {
    use axum::http::StatusCode;
    use axum::response::{IntoResponse, Response};
    use axum::Json;

    use super::AppError;
    use crate::model::InvalidId;
    use crate::storage;

    impl AppError {
        pub fn status(&self) -> StatusCode {
            match self {
                Self::BadRequest(_) | Self::BadQuery { .. } => StatusCode::BAD_REQUEST,
                Self::NotFound(_) => StatusCode::NOT_FOUND,
                Self::Unsupported(_) => StatusCode::UNPROCESSABLE_ENTITY,
                Self::NoRowsYet(_) => StatusCode::CONFLICT,
                Self::Damaged(_) | Self::Internal | Self::Transport(_) => {
                    StatusCode::INTERNAL_SERVER_ERROR
                }
            }
        }
    }

    impl From<storage::Error> for AppError {
        fn from(e: storage::Error) -> Self {
            use storage::Error as E;
            match e {
                E::RunNotFound(_) | E::ResultNotFound(_) | E::NoArrayFile { .. } => {
                    Self::NotFound(e.to_string())
                }
                E::InvalidData(_) | E::Invalid(_) => Self::BadRequest(e.to_string()),
                E::Corrupt { .. } => {
                    let problem = e.to_string();
                    storage::report_problem(&problem);
                    Self::Damaged(problem)
                }
                E::Unsupported { .. } => Self::Unsupported(e.to_string()),
                other => {
                    tracing::error!(error = %other, "storage error");
                    Self::Internal
                }
            }
        }
    }

    impl From<InvalidId> for AppError {
        fn from(e: InvalidId) -> Self {
            Self::BadRequest(format!("invalid id: {e}"))
        }
    }

    impl From<tokio::task::JoinError> for AppError {
        fn from(e: tokio::task::JoinError) -> Self {
            tracing::error!(error = %e, "blocking task failed");
            Self::Internal
        }
    }

    impl From<crate::query::QueryError> for AppError {
        fn from(e: crate::query::QueryError) -> Self {
            Self::BadQuery {
                message: e.message,
                start: e.start,
                end: e.end,
            }
        }
    }

    impl IntoResponse for AppError {
        fn into_response(self) -> Response {
            let body = match &self {
                Self::BadQuery { start, end, .. } => {
                    serde_json::json!({ "error": self.to_string(), "at": [start, end] })
                }
                _ => serde_json::json!({ "error": self.to_string() }),
            };
            (self.status(), Json(body)).into_response()
        }
    }
}
