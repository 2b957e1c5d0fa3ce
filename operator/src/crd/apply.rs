//! Writing a custom resource's status with server-side apply under the operator's field
//! manager: a status that did not change is a no-op and does not wake a controller again.
//!
//! The status is the typed struct; the envelope around it (`apiVersion`, `kind`, `status`,
//! and no spec, which the status subresource would ignore) is typed too.

use std::borrow::Cow;
use std::fmt::Debug;

use kube::api::{Patch, PatchParams};
use kube::{Api, Resource};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// What a status apply sends.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct StatusApply<'a, S> {
    api_version: Cow<'static, str>,
    kind: Cow<'static, str>,
    status: &'a S,
}

/// Applies `status` to the object `name` of `api`, forcing ownership of the fields it sets.
pub async fn apply_status<K, S>(api: &Api<K>, name: &str, status: &S) -> kube::Result<()>
where
    K: Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug,
    S: Serialize + Debug,
{
    let body = StatusApply { api_version: K::api_version(&()), kind: K::kind(&()), status };
    let params = PatchParams::apply(crate::FIELD_MANAGER).force();
    api.patch_status(name, &params, &Patch::Apply(&body)).await?;
    Ok(())
}
