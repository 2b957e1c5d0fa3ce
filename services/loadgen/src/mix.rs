//! What each arrival asks for: an endpoint by weight, and a product id by popularity
//! (Zipf-like, so a few products are hot, as in a real store, and the price cache helps).

/// The edge endpoints loadgen calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// `GET /api/products/{id}`
    Product,
    /// `POST /api/checkout`
    Checkout,
}

impl Endpoint {
    pub fn as_str(self) -> &'static str {
        match self {
            Endpoint::Product => "product",
            Endpoint::Checkout => "checkout",
        }
    }
}

/// Endpoint weights, e.g. `product=9,checkout=1`.
#[derive(Debug, Clone, PartialEq)]
pub struct Mix {
    weights: Vec<(Endpoint, u32)>,
    total: u32,
}

/// A mix string that could not be read.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("invalid mix `{input}`: {reason} (expected e.g. product=9,checkout=1)")]
pub struct MixError {
    input: String,
    reason: String,
}

impl std::str::FromStr for Mix {
    type Err = MixError;

    fn from_str(input: &str) -> Result<Self, MixError> {
        let fail = |reason: String| MixError { input: input.to_string(), reason };
        let mut weights = Vec::new();
        for part in input.split(',').filter(|p| !p.trim().is_empty()) {
            let (name, weight) = part.split_once('=').ok_or_else(|| fail(format!("`{part}` lacks `=weight`")))?;
            let endpoint = match name.trim() {
                "product" => Endpoint::Product,
                "checkout" => Endpoint::Checkout,
                other => return Err(fail(format!("unknown endpoint `{other}`; expected product or checkout"))),
            };
            let weight: u32 =
                weight.trim().parse().map_err(|_| fail(format!("weight `{weight}` is not a whole number")))?;
            weights.push((endpoint, weight));
        }
        let total = weights.iter().map(|(_, w)| w).sum();
        if total == 0 {
            return Err(fail("weights add up to zero".into()));
        }
        Ok(Mix { weights, total })
    }
}

/// The same text `from_str` reads, e.g. `product=9,checkout=1`.
impl std::fmt::Display for Mix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self.weights.iter().map(|(e, w)| format!("{}={w}", e.as_str())).collect();
        f.write_str(&parts.join(","))
    }
}

impl Mix {
    /// Draws an endpoint by weight.
    pub fn pick(&self) -> Endpoint {
        let mut ticket = fastrand::u32(0..self.total);
        for (endpoint, weight) in &self.weights {
            if ticket < *weight {
                return *endpoint;
            }
            ticket -= weight;
        }
        self.weights[0].0
    }
}

/// Product ids 1..=n with Zipf(s = 1) popularity, drawn by inverse CDF.
#[derive(Debug, Clone)]
pub struct ProductIds {
    cdf: Vec<f64>,
}

impl ProductIds {
    pub fn zipf(n: usize) -> Self {
        let mut acc = 0.0;
        let mut cdf: Vec<f64> = (1..=n.max(1))
            .map(|k| {
                acc += 1.0 / k as f64;
                acc
            })
            .collect();
        cdf.iter_mut().for_each(|c| *c /= acc);
        ProductIds { cdf }
    }

    pub fn pick(&self) -> u64 {
        let u = fastrand::f64();
        self.cdf.partition_point(|c| *c < u) as u64 + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mix_parses_and_respects_weights() {
        let mix: Mix = "product=3,checkout=1".parse().unwrap();
        let checkouts = (0..4000).filter(|_| mix.pick() == Endpoint::Checkout).count();
        assert!((800..1200).contains(&checkouts), "{checkouts}");
        assert!("product=0".parse::<Mix>().is_err());
        assert!("cart=1".parse::<Mix>().unwrap_err().to_string().contains("unknown endpoint `cart`"));
        assert_eq!(mix.to_string(), "product=3,checkout=1", "Display reads back");
    }

    #[test]
    fn popular_products_dominate() {
        let ids = ProductIds::zipf(10_000);
        let top = (0..10_000).filter(|_| ids.pick() <= 100).count();
        assert!(top > 4000, "top 1% of products should draw about half the traffic, got {top}");
        assert!((0..1000).all(|_| (1..=10_000).contains(&ids.pick())));
    }
}
