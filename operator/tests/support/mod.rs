//! Test support: a real kube-apiserver + etcd ([`cluster`]) and per-test labs on it ([`lab`]).
#![allow(dead_code)]

pub mod access;
pub mod cluster;
pub mod lab;
pub mod tools;
pub mod wait;
