//! The benchmark's model of a remote bucket: an object store whose every request takes a fixed time, and a
//! listing one request per page of 1,000 keys, as S3's.

use std::sync::Arc;
use std::time::Duration;

use futures::stream::{self, BoxStream, StreamExt};
use object_store::path::Path;
use object_store::{
    CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore,
    PutMultipartOptions, PutOptions, PutPayload, PutResult,
};

/// A store whose every request takes `latency`, a listing one request per page of 1,000 keys as S3's do.
/// (`object_store`'s throttled store waits per key instead, and a timer cannot wait 25 µs.)
#[derive(Debug)]
pub(super) struct Remote {
    inner: Arc<dyn ObjectStore>,
    latency: Duration,
}

impl std::fmt::Display for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Remote({}, {:?})", self.inner, self.latency)
    }
}

impl Remote {
    pub(super) fn new(inner: Arc<dyn ObjectStore>, latency: Duration) -> Self {
        Self { inner, latency }
    }

    fn paged(
        &self,
        keys: BoxStream<'static, object_store::Result<ObjectMeta>>,
    ) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
        let latency = self.latency;
        let first = stream::once(tokio::time::sleep(latency)).filter_map(|()| async { None });
        let rest = keys
            .chunks(1000)
            .enumerate()
            .then(move |(page, keys)| async move {
                if page > 0 {
                    tokio::time::sleep(latency).await;
                }
                stream::iter(keys)
            })
            .flatten();
        first.chain(rest).boxed()
    }
}

#[async_trait::async_trait]
impl ObjectStore for Remote {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> object_store::Result<PutResult> {
        tokio::time::sleep(self.latency).await;
        self.inner.put_opts(location, payload, opts).await
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> object_store::Result<Box<dyn MultipartUpload>> {
        tokio::time::sleep(self.latency).await;
        self.inner.put_multipart_opts(location, opts).await
    }

    async fn get_opts(
        &self,
        location: &Path,
        options: GetOptions,
    ) -> object_store::Result<GetResult> {
        tokio::time::sleep(self.latency).await;
        self.inner.get_opts(location, options).await
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, object_store::Result<Path>>,
    ) -> BoxStream<'static, object_store::Result<Path>> {
        self.inner.delete_stream(locations)
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
        self.paged(self.inner.list(prefix))
    }

    fn list_with_offset(
        &self,
        prefix: Option<&Path>,
        offset: &Path,
    ) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
        self.paged(self.inner.list_with_offset(prefix, offset))
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> object_store::Result<ListResult> {
        tokio::time::sleep(self.latency).await;
        self.inner.list_with_delimiter(prefix).await
    }

    async fn copy_opts(
        &self,
        from: &Path,
        to: &Path,
        options: CopyOptions,
    ) -> object_store::Result<()> {
        tokio::time::sleep(self.latency).await;
        self.inner.copy_opts(from, to, options).await
    }
}
