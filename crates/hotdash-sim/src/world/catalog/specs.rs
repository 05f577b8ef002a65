//! The catalog as a table: every product family with its variants, SKUs and prices. Prices
//! follow the store's pages (original-hotdash.md §5.2): 10 ft of AN-6 PTFE hose ~$80, eight
//! AN-6 hose ends ~$120, a Walbro 255 ~$120, a 10-micron AN-6 filter ~$45, a regulator ~$85,
//! HRA-CUT-001 shears $29.95.

use super::{AN_SIZES, Category};
use crate::world::model::ProductStatus;

/// One product before ids and times are assigned.
pub(super) struct Spec {
    pub title: String,
    /// The SKU family: every variant's SKU starts `HRA-<family>`.
    pub family: &'static str,
    pub vendor: &'static str,
    pub product_type: &'static str,
    pub category: Category,
    pub tags: Vec<String>,
    pub status: ProductStatus,
    /// Sales weight of the product as a whole; spread over variants by `VariantSpec::weight`.
    pub weight: f64,
    pub variants: Vec<VariantSpec>,
}

pub(super) struct VariantSpec {
    pub title: String,
    pub sku: String,
    pub price_cents: i64,
    pub an_size: Option<u8>,
    pub weight: f64,
}

fn size_weight(size: u8) -> f64 {
    AN_SIZES
        .iter()
        .find(|(s, _)| *s == size)
        .map_or(0.05, |(_, w)| *w)
}

fn sized(size: u8, title: String, sku: String, price_cents: i64) -> VariantSpec {
    VariantSpec {
        title,
        sku,
        price_cents,
        an_size: Some(size),
        weight: size_weight(size),
    }
}

fn single(sku: &str, price_cents: i64) -> VariantSpec {
    VariantSpec {
        title: "Default Title".to_owned(),
        sku: sku.to_owned(),
        price_cents,
        an_size: None,
        weight: 1.0,
    }
}

#[expect(
    clippy::too_many_arguments,
    reason = "a table row; named fields would only add noise"
)]
fn spec(
    title: &str,
    family: &'static str,
    vendor: &'static str,
    product_type: &'static str,
    category: Category,
    tags: &[&str],
    weight: f64,
    variants: Vec<VariantSpec>,
) -> Spec {
    Spec {
        title: title.to_owned(),
        family,
        vendor,
        product_type,
        category,
        tags: tags.iter().map(|t| (*t).to_owned()).collect(),
        status: ProductStatus::Active,
        weight,
        variants,
    }
}

/// Price of a foot of PTFE hose by AN size, cents: 10 ft of AN-6 is the store's ~$80.
fn hose_foot_cents(size: u8) -> i64 {
    match size {
        3 => 550,
        4 => 650,
        6 => 800,
        8 => 1000,
        10 => 1300,
        12 => 1700,
        _ => 2400,
    }
}

/// A straight PTFE hose end by size, cents: eight AN-6 ends are the store's ~$120.
fn hose_end_cents(size: u8) -> i64 {
    match size {
        3 => 1195,
        4 => 1295,
        6 => 1495,
        8 => 1795,
        10 => 2295,
        12 => 2895,
        _ => 3895,
    }
}

pub(super) fn hose_specs() -> Vec<Spec> {
    let mut out = Vec::new();
    for (code, braid, weight) in [
        ("SS", "Stainless Braided", 1.0),
        ("NY", "Black Nylon Braided", 0.7),
    ] {
        let variants = AN_SIZES
            .iter()
            .flat_map(|(size, _)| {
                [3, 6, 10, 20].into_iter().map(move |feet| {
                    let mut price = hose_foot_cents(*size) * feet + 200;
                    if code == "NY" {
                        price = price * 92 / 100;
                    }
                    // Shop prices end in 95 cents.
                    let price = (price / 100) * 100 + 95;
                    let mut v = sized(
                        *size,
                        format!("AN-{size} / {feet} ft"),
                        format!("HRA-HOSE{code}-AN{size}-{feet}FT"),
                        price,
                    );
                    // Ten-foot rolls sell best (a full supply line); twenty-foot for returns.
                    v.weight *= match feet {
                        3 => 0.5,
                        6 => 0.8,
                        10 => 1.0,
                        _ => 0.35,
                    };
                    v
                })
            })
            .collect();
        out.push(spec(
            &format!("PTFE Fuel Hose, {braid}"),
            "HOSE",
            "Hot Rod AN",
            "Hose",
            Category::Hose,
            &["ptfe", "e85-safe"],
            weight,
            variants,
        ));
    }
    out
}

pub(super) fn hose_end_specs() -> Vec<Spec> {
    let mut out = Vec::new();
    for (angle, code, extra, weight) in [
        ("Straight", "HES", 0, 1.0),
        ("45°", "HE45", 200, 0.6),
        ("90°", "HE90", 300, 0.9),
        ("180°", "HE180", 600, 0.2),
    ] {
        let variants = AN_SIZES
            .iter()
            .flat_map(|(size, _)| {
                [("Black", "BLK", 1.0), ("Polished", "POL", 0.35)]
                    .into_iter()
                    .map(move |(finish, fcode, fweight)| {
                        let mut v = sized(
                            *size,
                            format!("AN-{size} / {finish}"),
                            format!("HRA-{code}-AN{size}-{fcode}"),
                            hose_end_cents(*size) + extra + if fcode == "POL" { 200 } else { 0 },
                        );
                        v.weight *= fweight;
                        v
                    })
            })
            .collect();
        out.push(spec(
            &format!("PTFE Hose End, {angle}"),
            code,
            "Hot Rod AN",
            "Hose Ends",
            Category::HoseEnd,
            &["an-fitting", "reusable"],
            weight,
            variants,
        ));
    }
    out
}

pub(super) fn adapter_specs() -> Vec<Spec> {
    let an = |sizes: &[u8], title: &dyn Fn(u8) -> String, sku: &dyn Fn(u8) -> String, base: i64| {
        sizes
            .iter()
            .map(|s| sized(*s, title(*s), sku(*s), base + i64::from(*s) * 110))
            .collect::<Vec<_>>()
    };
    let npt = |s: u8| match s {
        4 => "1/8\" NPT",
        6 => "3/8\" NPT",
        8 => "1/2\" NPT",
        10 => "1/2\" NPT",
        _ => "3/4\" NPT",
    };
    let orb = |s: u8| format!("-{s} ORB");
    vec![
        spec(
            "AN to NPT Adapter, Straight",
            "NPT",
            "Hot Rod AN",
            "Adapters",
            Category::Adapter,
            &["an-fitting", "adapter"],
            1.0,
            an(
                &[4, 6, 8, 10, 12],
                &|s| format!("AN-{s} to {}", npt(s)),
                &|s| format!("HRA-NPT-AN{s}"),
                295,
            ),
        ),
        spec(
            "AN to NPT Adapter, 90°",
            "NPT90",
            "Hot Rod AN",
            "Adapters",
            Category::Adapter,
            &["an-fitting", "adapter"],
            0.6,
            an(
                &[4, 6, 8, 10],
                &|s| format!("AN-{s} to {}", npt(s)),
                &|s| format!("HRA-NPT90-AN{s}"),
                595,
            ),
        ),
        spec(
            "AN to ORB Adapter",
            "ORB",
            "Hot Rod AN",
            "Adapters",
            Category::Adapter,
            &["an-fitting", "adapter"],
            0.9,
            an(
                &[4, 6, 8, 10, 12, 16],
                &|s| format!("AN-{s} to {}", orb(s)),
                &|s| format!("HRA-ORB-AN{s}"),
                395,
            ),
        ),
        spec(
            "ORB Port Plug",
            "ORBPLUG",
            "Hot Rod AN",
            "Adapters",
            Category::Adapter,
            &["an-fitting"],
            0.3,
            an(
                &[4, 6, 8, 10, 12, 16],
                &|s| format!("{} Plug", orb(s)),
                &|s| format!("HRA-ORBPLUG-AN{s}"),
                195,
            ),
        ),
        spec(
            "AN Union, Straight",
            "UNION",
            "Hot Rod AN",
            "Adapters",
            Category::Adapter,
            &["an-fitting"],
            0.4,
            an(
                &[3, 4, 6, 8, 10, 12, 16],
                &|s| format!("AN-{s}"),
                &|s| format!("HRA-UNION-AN{s}"),
                295,
            ),
        ),
        spec(
            "AN Bulkhead Fitting with Nut",
            "BULK",
            "Hot Rod AN",
            "Adapters",
            Category::Adapter,
            &["an-fitting"],
            0.35,
            an(
                &[4, 6, 8, 10, 12],
                &|s| format!("AN-{s}"),
                &|s| format!("HRA-BULK-AN{s}"),
                695,
            ),
        ),
        spec(
            "AN Flare Cap",
            "CAP",
            "Hot Rod AN",
            "Adapters",
            Category::Adapter,
            &["an-fitting"],
            0.2,
            an(
                &[3, 4, 6, 8, 10, 12],
                &|s| format!("AN-{s}"),
                &|s| format!("HRA-CAP-AN{s}"),
                195,
            ),
        ),
        spec(
            "Metric to AN Adapter",
            "METRIC",
            "Hot Rod AN",
            "Adapters",
            Category::Adapter,
            &["an-fitting", "adapter", "efi"],
            0.45,
            vec![
                sized(
                    6,
                    "M12x1.5 to AN-6".into(),
                    "HRA-METRIC-AN6-M12".into(),
                    895,
                ),
                sized(6, "M14x1.5 to AN-6".into(), "HRA-METRIC-AN6".into(), 895),
                sized(8, "M16x1.5 to AN-8".into(), "HRA-METRIC-AN8".into(), 1095),
                sized(
                    8,
                    "M18x1.5 to AN-8".into(),
                    "HRA-METRIC-AN8-M18".into(),
                    1195,
                ),
            ],
        ),
        spec(
            "Quick-Disconnect to AN Adapter",
            "QD",
            "Hot Rod AN",
            "Adapters",
            Category::Adapter,
            &["an-fitting", "adapter", "efi", "ls-swap"],
            0.6,
            vec![
                sized(6, "5/16\" QD to AN-6".into(), "HRA-QD-AN6-516".into(), 1495),
                sized(6, "3/8\" QD to AN-6".into(), "HRA-QD-AN6".into(), 1495),
                sized(8, "3/8\" QD to AN-8".into(), "HRA-QD-AN8".into(), 1695),
            ],
        ),
        spec(
            "AN Y-Block, 1 In 2 Out",
            "YBLOCK",
            "Hot Rod AN",
            "Adapters",
            Category::Adapter,
            &["an-fitting"],
            0.12,
            an(
                &[6, 8, 10],
                &|s| format!("AN-{s}"),
                &|s| format!("HRA-YBLOCK-AN{s}"),
                2495,
            ),
        ),
    ]
}

pub(super) fn system_specs() -> Vec<Spec> {
    let tagged = |mut s: Spec, status: ProductStatus| {
        s.status = status;
        s
    };
    vec![
        spec(
            "Walbro 255 LPH In-Tank Fuel Pump",
            "PUMP-W255",
            "Walbro",
            "Fuel Pumps",
            Category::Pump,
            &["efi", "ls-swap", "e85-safe"],
            1.0,
            vec![
                VariantSpec {
                    weight: 1.0,
                    ..single("HRA-PUMP-W255", 11995)
                },
                VariantSpec {
                    title: "With Install Kit".into(),
                    weight: 0.6,
                    ..single("HRA-PUMP-W255-KIT", 13995)
                },
            ],
        ),
        spec(
            "Walbro GSL392 255 LPH Inline Fuel Pump",
            "PUMP-GSL392",
            "Walbro",
            "Fuel Pumps",
            Category::Pump,
            &["efi"],
            0.5,
            vec![single("HRA-PUMP-GSL392", 11495)],
        ),
        spec(
            "Aeromotive 340 Stealth In-Tank Fuel Pump",
            "PUMP-A340",
            "Aeromotive",
            "Fuel Pumps",
            Category::Pump,
            &["efi", "e85-safe"],
            0.55,
            vec![single("HRA-PUMP-A340", 20495)],
        ),
        spec(
            "Aeromotive A1000 Inline Fuel Pump",
            "PUMP-A1000",
            "Aeromotive",
            "Fuel Pumps",
            Category::Pump,
            &["carb", "efi"],
            0.2,
            vec![single("HRA-PUMP-A1000", 45995)],
        ),
        spec(
            "DeatschWerks DW300 In-Tank Fuel Pump",
            "PUMP-DW300",
            "DeatschWerks",
            "Fuel Pumps",
            Category::Pump,
            &["efi", "e85-safe"],
            0.3,
            vec![single("HRA-PUMP-DW300", 17995)],
        ),
        spec(
            "Adjustable EFI Fuel Pressure Regulator",
            "REG",
            "Hot Rod AN",
            "Regulators",
            Category::Regulator,
            &["efi", "ls-swap"],
            1.0,
            vec![
                sized(6, "AN-6 Ports".into(), "HRA-REG-AN6".into(), 8495),
                sized(8, "AN-8 Ports".into(), "HRA-REG-AN8".into(), 10995),
                sized(10, "AN-10 Ports".into(), "HRA-REG-AN10".into(), 12995),
            ],
        ),
        spec(
            "Bypass Return-Style Regulator",
            "REGBP",
            "Aeromotive",
            "Regulators",
            Category::Regulator,
            &["efi"],
            0.35,
            vec![single("HRA-REGBP-AN8", 14995)],
        ),
        spec(
            "Carbureted Fuel Pressure Regulator",
            "REGCARB",
            "Holley",
            "Regulators",
            Category::Regulator,
            &["carb"],
            0.3,
            vec![single("HRA-REGCARB-AN6", 7495)],
        ),
        spec(
            "10-Micron Inline Fuel Filter",
            "FILT10",
            "Hot Rod AN",
            "Filters",
            Category::Filter,
            &["efi", "ls-swap", "10-micron"],
            1.0,
            vec![
                sized(6, "AN-6".into(), "HRA-FILT10-AN6".into(), 4495),
                sized(8, "AN-8".into(), "HRA-FILT10-AN8".into(), 5195),
                sized(10, "AN-10".into(), "HRA-FILT10-AN10".into(), 6195),
            ],
        ),
        spec(
            "100-Micron Pre-Pump Fuel Filter",
            "FILT100",
            "Hot Rod AN",
            "Filters",
            Category::Filter,
            &["efi"],
            0.5,
            vec![
                sized(6, "AN-6".into(), "HRA-FILT100-AN6".into(), 4295),
                sized(8, "AN-8".into(), "HRA-FILT100-AN8".into(), 4995),
                sized(10, "AN-10".into(), "HRA-FILT100-AN10".into(), 5795),
            ],
        ),
        spec(
            "Replacement Filter Element",
            "ELEM",
            "Hot Rod AN",
            "Filters",
            Category::Filter,
            &["10-micron"],
            0.3,
            vec![
                single("HRA-ELEM-10", 1495),
                VariantSpec {
                    title: "100-Micron Stainless".into(),
                    ..single("HRA-ELEM-100", 1895)
                },
            ],
        ),
        spec(
            "AN Hose Cutting Shears",
            "CUT",
            "Hot Rod AN",
            "Tools",
            Category::Tool,
            &["tools"],
            1.0,
            vec![single("HRA-CUT-001", 2995)],
        ),
        spec(
            "Aluminum AN Wrench Set, 5 Piece",
            "WRENCH",
            "Hot Rod AN",
            "Tools",
            Category::Tool,
            &["tools"],
            0.7,
            vec![single("HRA-WRENCH-SET", 3995)],
        ),
        spec(
            "AN Assembly Lube",
            "LUBE",
            "Hot Rod AN",
            "Tools",
            Category::Tool,
            &["tools"],
            0.6,
            vec![single("HRA-LUBE-001", 995)],
        ),
        spec(
            "Soft Vise Jaws for AN Fittings",
            "VISE",
            "Hot Rod AN",
            "Tools",
            Category::Tool,
            &["tools"],
            0.3,
            vec![single("HRA-VISE-001", 1995)],
        ),
        spec(
            "LS Swap Return Fuel Kit",
            "LS-RETURN",
            "Hot Rod AN",
            "Kits",
            Category::Kit,
            &["BUNDLE:TRUE", "ls-swap", "kit"],
            1.0,
            vec![
                VariantSpec {
                    title: "AN-6 Supply".into(),
                    an_size: Some(6),
                    ..single("HRA-LS-RETURN", 38995)
                },
                VariantSpec {
                    title: "AN-8 Supply".into(),
                    an_size: Some(8),
                    weight: 0.6,
                    ..single("HRA-LS-RETURN-AN8", 42995)
                },
            ],
        ),
        spec(
            "LS Swap Returnless Fuel Kit",
            "LS-RETURNLESS",
            "Hot Rod AN",
            "Kits",
            Category::Kit,
            &["BUNDLE:TRUE", "ls-swap", "kit"],
            0.8,
            vec![VariantSpec {
                an_size: Some(8),
                ..single("HRA-LS-RETURNLESS", 27995)
            }],
        ),
        spec(
            "EFI Conversion Fuel Kit",
            "EFI-KIT",
            "Hot Rod AN",
            "Kits",
            Category::Kit,
            &["BUNDLE:TRUE", "efi", "kit"],
            0.35,
            vec![single("HRA-EFI-KIT", 54995)],
        ),
        spec(
            "AN-6 Hose End 8-Pack",
            "HEPK8",
            "Hot Rod AN",
            "Hose Ends",
            Category::Kit,
            &["PACK:8", "an-fitting"],
            0.45,
            vec![VariantSpec {
                an_size: Some(6),
                ..single("HRA-HEPK8-AN6", 11995)
            }],
        ),
        spec(
            "LS3 Fuel Rails",
            "RAILS-LS3",
            "Hot Rod AN",
            "Fuel Rails",
            Category::Part,
            &["ls-swap", "efi"],
            0.45,
            vec![single("HRA-RAILS-LS3", 14995)],
        ),
        spec(
            "Sending Unit Adapter",
            "SUA",
            "Hot Rod AN",
            "Fuel System",
            Category::Part,
            &["ls-swap"],
            0.4,
            vec![single("HRA-SUA-001", 2495)],
        ),
        spec(
            "Fuel Pressure Gauge, 0-100 psi",
            "GAUGE",
            "Hot Rod AN",
            "Gauges",
            Category::Part,
            &["efi", "carb"],
            0.5,
            vec![single("HRA-GAUGE-100", 3495)],
        ),
        spec(
            "Stainless P-Clamps, 10 Pack",
            "PCLAMP",
            "Hot Rod AN",
            "Fuel System",
            Category::Part,
            &["PACK:10"],
            0.35,
            vec![
                sized(6, "AN-6".into(), "HRA-PCLAMP-AN6".into(), 1495),
                sized(8, "AN-8".into(), "HRA-PCLAMP-AN8".into(), 1595),
            ],
        ),
        tagged(
            spec(
                "Aeromotive Phantom 340 Stealth Module",
                "PUMP-PH340",
                "Aeromotive",
                "Fuel Pumps",
                Category::Pump,
                &["efi"],
                0.0,
                vec![single("HRA-PUMP-PH340", 39995)],
            ),
            ProductStatus::Draft,
        ),
        tagged(
            spec(
                "PTFE Hose End, 120°",
                "HE120",
                "Hot Rod AN",
                "Hose Ends",
                Category::HoseEnd,
                &["an-fitting"],
                0.0,
                vec![
                    sized(6, "AN-6 / Black".into(), "HRA-HE120-AN6-BLK".into(), 2195),
                    sized(8, "AN-8 / Black".into(), "HRA-HE120-AN8-BLK".into(), 2495),
                ],
            ),
            ProductStatus::Draft,
        ),
        tagged(
            spec(
                "Rubber Fuel Hose, Nitrile",
                "RUBBER",
                "Hot Rod AN",
                "Hose",
                Category::Hose,
                &["discontinued"],
                0.0,
                vec![
                    sized(6, "AN-6 / 10 ft".into(), "HRA-RUBBER-AN6-10FT".into(), 3995),
                    sized(8, "AN-8 / 10 ft".into(), "HRA-RUBBER-AN8-10FT".into(), 4995),
                ],
            ),
            ProductStatus::Archived,
        ),
        tagged(
            spec(
                "Walbro 190 LPH In-Tank Fuel Pump",
                "PUMP-W190",
                "Walbro",
                "Fuel Pumps",
                Category::Pump,
                &["discontinued"],
                0.0,
                vec![single("HRA-PUMP-W190", 8995)],
            ),
            ProductStatus::Archived,
        ),
    ]
}
