//! Access reviews: may this client (often an impersonated player) do this?

use k8s_openapi::api::authorization::v1::{ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec};
use kube::Api;
use kube::api::PostParams;

/// What a `SelfSubjectAccessReview` answers for `verb` on `group/resource[/sub]` in `ns`.
pub async fn can(client: &kube::Client, verb: &str, ns: &str, group: &str, resource: &str, sub: Option<&str>) -> bool {
    let review = SelfSubjectAccessReview {
        spec: SelfSubjectAccessReviewSpec {
            resource_attributes: Some(ResourceAttributes {
                verb: Some(verb.into()),
                namespace: Some(ns.into()),
                group: Some(group.into()),
                resource: Some(resource.into()),
                subresource: sub.map(Into::into),
                ..Default::default()
            }),
            ..Default::default()
        },
        ..Default::default()
    };
    let api: Api<SelfSubjectAccessReview> = Api::all(client.clone());
    let answer = api.create(&PostParams::default(), &review).await.expect("access review");
    answer.status.expect("status").allowed
}
