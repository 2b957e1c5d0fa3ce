//! `Refusable<T>`: one of the drill engine's values (a phase, a verdict), or `refused`.
//!
//! A Drill the operator cannot start has no engine phase, and a Diagnosis the engine would not
//! judge (the drill was over, the team unknown) has no verdict; players still read one field
//! with one word in it. On the wire it is that word: the engine's own spelling of `T`
//! (`warm-up`, `correct`) or `refused`, and the schema is `T`'s enum plus `refused`, so the
//! API server refuses anything else.

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::de::{DeserializeOwned, IntoDeserializer};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// How `Refusable::Refused` is written.
pub const REFUSED: &str = "refused";

/// The engine's `T`, or a refusal (the reason is in a `message` or a condition next to it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusable<T> {
    Engine(T),
    Refused,
}

impl<T> From<T> for Refusable<T> {
    fn from(value: T) -> Self {
        Refusable::Engine(value)
    }
}

impl<T: Serialize> Serialize for Refusable<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Refusable::Engine(value) => value.serialize(serializer),
            Refusable::Refused => serializer.serialize_str(REFUSED),
        }
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Refusable<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let word = String::deserialize(deserializer)?;
        if word == REFUSED {
            return Ok(Refusable::Refused);
        }
        T::deserialize(word.into_deserializer()).map(Refusable::Engine)
    }
}

impl<T: JsonSchema> JsonSchema for Refusable<T> {
    fn schema_name() -> Cow<'static, str> {
        format!("{}OrRefused", T::schema_name()).into()
    }

    fn inline_schema() -> bool {
        true
    }

    /// `T`'s schema (a string enum for the engine's unit enums) with `refused` added, and
    /// without `T`'s description, which would not mention `refused`: the field says what it is.
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let mut schema = T::json_schema(generator);
        schema.remove("description");
        let values = schema.get_mut("enum").and_then(|v| v.as_array_mut());
        values.expect("Refusable<T> needs T to be a string enum").push(REFUSED.into());
        schema
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use firedrill_drill::{Phase, Verdict};

    #[test]
    fn written_as_the_engine_spells_it_or_refused() {
        assert_eq!(serde_json::to_value(Refusable::Engine(Phase::WarmUp)).unwrap(), "warm-up");
        assert_eq!(serde_json::to_value(Refusable::<Verdict>::Refused).unwrap(), "refused");
        let back: Refusable<Phase> = serde_json::from_value("warm-up".into()).unwrap();
        assert_eq!(back, Refusable::Engine(Phase::WarmUp));
        let back: Refusable<Verdict> = serde_json::from_value("refused".into()).unwrap();
        assert_eq!(back, Refusable::Refused);
        assert!(serde_json::from_value::<Refusable<Verdict>>("maybe".into()).is_err());
    }

    #[test]
    fn schema_is_the_engine_enum_plus_refused() {
        let schema = schemars::schema_for!(Refusable<Verdict>);
        let values: Vec<&str> =
            schema.get("enum").unwrap().as_array().unwrap().iter().filter_map(|v| v.as_str()).collect();
        assert_eq!(values, ["wrong", "partial", "correct", "refused"]);
        assert_eq!(schema.get("type").and_then(|t| t.as_str()), Some("string"));
    }
}
