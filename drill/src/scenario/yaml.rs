//! A position index of a YAML document: where every node and every mapping key starts.
//!
//! serde_yaml turns the text into values but forgets where they came from, so the file is read
//! a second time with saphyr-parser's event stream, which carries a span for every event. Only
//! the shape and the positions are kept; values come from serde_yaml.

use super::path::{Path, Seg};
use saphyr_parser::{Event, Parser, ScanError, Span};
use std::collections::HashMap;

/// A 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub(crate) struct Pos {
    pub line: usize,
    pub column: usize,
}

/// A node's position and, for collections, its children's.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    pos: Pos,
    kind: Kind,
}

#[derive(Debug, Clone)]
enum Kind {
    Leaf,
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

#[derive(Debug, Clone)]
struct Entry {
    /// The key's text; empty for a non-scalar key.
    key: String,
    key_pos: Pos,
    value: Node,
}

/// Whether a position should point at a mapping key or at its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum At {
    Key,
    Value,
}

/// Builds the index; a syntax error comes back with its position.
pub(crate) fn index(text: &str) -> Result<Node, (Pos, String)> {
    let mut reader = Reader { parser: Parser::new_from_str(text), anchors: HashMap::new() };
    reader.document().map_err(|e| (pos_of_marker(e.marker()), e.info().to_string()))
}

fn pos_of_marker(m: &saphyr_parser::Marker) -> Pos {
    Pos { line: m.line(), column: m.col() + 1 }
}

fn pos_of(span: &Span) -> Pos {
    pos_of_marker(&span.start)
}

struct Reader<'a> {
    parser: Parser<'a, saphyr_parser::StrInput<'a>>,
    anchors: HashMap<usize, Node>,
}

// === impl Reader ===

impl<'a> Reader<'a> {
    fn next(&mut self) -> Result<(Event<'a>, Span), ScanError> {
        match self.parser.next_event() {
            Some(event) => event,
            None => Ok((Event::StreamEnd, Span::default())),
        }
    }

    /// The first document's root; an empty document is a leaf at 1:1.
    fn document(&mut self) -> Result<Node, ScanError> {
        loop {
            let (event, span) = self.next()?;
            match event {
                Event::StreamStart | Event::DocumentStart(_) | Event::Nothing => continue,
                Event::StreamEnd | Event::DocumentEnd => {
                    return Ok(leaf(Pos { line: 1, column: 1 }));
                }
                other => return self.node(other, span),
            }
        }
    }

    fn node(&mut self, event: Event<'a>, span: Span) -> Result<Node, ScanError> {
        let pos = pos_of(&span);
        let (node, anchor) = match event {
            Event::Scalar(_, _, anchor, _) => (leaf(pos), anchor),
            Event::Alias(id) => {
                let mut node = self.anchors.get(&id).cloned().unwrap_or(leaf(pos));
                node.pos = pos;
                (node, 0)
            }
            Event::SequenceStart(anchor, _) => (self.sequence(pos)?, anchor),
            Event::MappingStart(anchor, _) => (self.mapping(pos)?, anchor),
            _ => (leaf(pos), 0),
        };
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        Ok(node)
    }

    fn sequence(&mut self, pos: Pos) -> Result<Node, ScanError> {
        let mut items = Vec::new();
        loop {
            let (event, span) = self.next()?;
            match event {
                Event::SequenceEnd | Event::StreamEnd => break,
                other => items.push(self.node(other, span)?),
            }
        }
        Ok(Node { pos, kind: Kind::Seq(items) })
    }

    fn mapping(&mut self, pos: Pos) -> Result<Node, ScanError> {
        let mut entries = Vec::new();
        loop {
            let (event, span) = self.next()?;
            let key = match &event {
                Event::MappingEnd | Event::StreamEnd => break,
                Event::Scalar(text, ..) => text.to_string(),
                _ => String::new(),
            };
            let key_pos = pos_of(&span);
            // Walk a complex key so the stream stays in step; its shape is not kept.
            self.node(event, span)?;
            let (event, span) = self.next()?;
            let value = self.node(event, span)?;
            entries.push(Entry { key, key_pos, value });
        }
        Ok(Node { pos, kind: Kind::Map(entries) })
    }
}

fn leaf(pos: Pos) -> Node {
    Node { pos, kind: Kind::Leaf }
}

// === impl Node ===

impl Node {
    /// Where `path` points. When part of the path is missing (a missing field), the deepest
    /// node that exists is the answer.
    pub fn locate(&self, path: &Path, at: At) -> Pos {
        let mut node = self;
        for (i, seg) in path.0.iter().enumerate() {
            let last = i + 1 == path.0.len();
            let next = match (&node.kind, seg) {
                (Kind::Map(entries), Seg::Key(k)) => match entries.iter().rev().find(|e| &e.key == k) {
                    Some(e) if last && at == At::Key => return e.key_pos,
                    Some(e) => Some(&e.value),
                    None => None,
                },
                (Kind::Seq(items), Seg::Index(n)) => items.get(*n),
                _ => None,
            };
            match next {
                Some(n) => node = n,
                None => return node.pos,
            }
        }
        node.pos
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "\
a: 1
list:
  - x: 1
    y: [1, {z: 2}]
  - w
";

    fn at(line: usize, column: usize) -> Pos {
        Pos { line, column }
    }

    #[test]
    fn locates_keys_values_and_items() {
        let root = index(DOC).unwrap();
        assert_eq!(root.locate(&Path::parse("a"), At::Value), at(1, 4));
        assert_eq!(root.locate(&Path::parse("a"), At::Key), at(1, 1));
        assert_eq!(root.locate(&Path::parse("list[0]"), At::Value), at(3, 5));
        assert_eq!(root.locate(&Path::parse("list[0].y"), At::Key), at(4, 5));
        assert_eq!(root.locate(&Path::parse("list[0].y[1].z"), At::Value), at(4, 16));
        assert_eq!(root.locate(&Path::parse("list[1]"), At::Value), at(5, 5));
    }

    #[test]
    fn missing_parts_point_at_the_deepest_existing_node() {
        let root = index(DOC).unwrap();
        assert_eq!(root.locate(&Path::parse("list[0].nope"), At::Value), at(3, 5));
        assert_eq!(root.locate(&Path::parse("list[7]"), At::Value), at(3, 3));
    }

    #[test]
    fn syntax_errors_carry_a_position() {
        let (pos, msg) = index("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(pos.line >= 1 && !msg.is_empty(), "{pos:?} {msg}");
    }

    #[test]
    fn aliases_take_the_anchored_shape() {
        // A value reached through an alias was written at the anchor: point there.
        let root = index("base: &b {x: 1}\nother: *b\n").unwrap();
        assert_eq!(root.locate(&Path::parse("other"), At::Value), at(2, 8));
        assert_eq!(root.locate(&Path::parse("other.x"), At::Value), at(1, 14));
    }
}
