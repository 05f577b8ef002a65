//! What customers ask Hot Rod AN and what the team answers: message templates per topic,
//! filled in with real order names, carriers, sizes and SKUs from the store.

use rand::Rng;

/// What a conversation is about; also its Chatwoot label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Topic {
    OrderStatus,
    Returns,
    Fitment,
    Wholesale,
    Shipping,
    Warranty,
}

impl Topic {
    pub(crate) fn label(self) -> &'static str {
        match self {
            Topic::OrderStatus => "order-status",
            Topic::Returns => "returns",
            Topic::Fitment => "fitment",
            Topic::Wholesale => "wholesale",
            Topic::Shipping => "shipping",
            Topic::Warranty => "warranty",
        }
    }

    pub(crate) fn about_an_order(self) -> bool {
        matches!(self, Topic::OrderStatus | Topic::Returns | Topic::Warranty)
    }
}

/// Values templates may use.
pub(crate) struct Fill<'a> {
    pub order: &'a str,
    pub carrier: &'a str,
    pub tracking: &'a str,
    pub size: u8,
    pub sku: &'a str,
}

fn pick<'a>(rng: &mut impl Rng, options: &[&'a str]) -> &'a str {
    options[rng.random_range(0..options.len())]
}

fn fill(template: &str, f: &Fill<'_>, rng: &mut impl Rng) -> String {
    let bigger = match f.size {
        3 | 4 => 6,
        6 => 8,
        8 => 10,
        _ => 12,
    };
    let hp = [450, 550, 650, 750, 900][rng.random_range(0..5)];
    let car = pick(
        rng,
        &[
            "'69 Camaro",
            "'72 C10",
            "'85 Fox-body Mustang",
            "'67 Chevelle",
            "Model A roadster",
            "'79 Trans Am",
            "'55 Bel Air",
        ],
    );
    let state = pick(
        rng,
        &["Ohio", "Texas", "Arizona", "Michigan", "Georgia", "Ontario"],
    );
    template
        .replace("{order}", f.order)
        .replace("{carrier}", f.carrier)
        .replace("{tracking}", f.tracking)
        .replace("{size}", &f.size.to_string())
        .replace("{bigger}", &bigger.to_string())
        .replace("{sku}", f.sku)
        .replace("{hp}", &hp.to_string())
        .replace("{car}", car)
        .replace("{state}", state)
}

/// The customer's opening message.
pub(crate) fn opening(topic: Topic, f: &Fill<'_>, rng: &mut impl Rng) -> String {
    let options: &[&str] = match topic {
        Topic::OrderStatus => &[
            "Hi, any update on order {order}? Tracking hasn't moved in a couple of days.",
            "When will order {order} ship? I need the lines for a track day this weekend.",
            "Order {order} shows delivered but there's nothing on my porch.",
            "Can I still add a -{size} 90° hose end to order {order}?",
        ],
        Topic::Returns => &[
            "I ordered -{size} but needed -{bigger} on order {order}. Can I exchange?",
            "Need to return the {sku} from order {order}, it doesn't fit my tank.",
            "Ordered too many fittings on {order}, can I send four back?",
        ],
        Topic::Warranty => &[
            "One of the hose ends from order {order} weeps at the nipple. Did I assemble it wrong?",
            "The regulator from {order} won't hold pressure past 40 psi.",
        ],
        Topic::Fitment => &[
            "Do you stock -{size} AN fittings?",
            "Is AN-{size} big enough for {hp} hp on E85?",
            "Will the HRA-LS-RETURN kit work on a {car} with an LS3?",
            "What size hose end do I need for the Walbro 255 outlet?",
            "Can I reuse your PTFE hose ends or are they one-time crimp?",
            "Do I need a 10-micron filter after the pump if I already have a 100-micron sock?",
        ],
        Topic::Wholesale => &[
            "We're a shop in {state}, do you do wholesale pricing on PTFE hose?",
            "Can we get a quote on 50 ft of -{size} stainless hose and 40 hose ends?",
        ],
        Topic::Shipping => &[
            "Do you ship to Canada? What does it cost?",
            "How fast is UPS 2-Day to {state}?",
            "Can I pick up at the warehouse instead of shipping?",
        ],
    };
    fill(pick(rng, options), f, rng)
}

/// The agent's answer to the opening.
pub(crate) fn first_reply(topic: Topic, f: &Fill<'_>, rng: &mut impl Rng) -> String {
    let options: &[&str] = match topic {
        Topic::OrderStatus => &[
            "Order {order} shipped with {carrier}, tracking {tracking}. Scans can lag a day; it's moving.",
            "Sorry about that. I've opened a trace with {carrier} on order {order} and will update you.",
            "Your order {order} is being packed today; you'll get tracking by email tonight.",
        ],
        Topic::Returns => &[
            "No problem. Unused fittings can come back within 30 days. I've emailed a prepaid label for {order}.",
            "Happy to swap them for -{bigger}. Send the -{size} back and we'll ship the new ones when they scan.",
        ],
        Topic::Warranty => &[
            "That's usually the olive sitting crooked. Try reassembling with assembly lube; if it still weeps we'll replace it.",
            "Sorry! We'll send a replacement today, no need to return the old one.",
        ],
        Topic::Fitment => &[
            "Yes, we stock the full -{size} line: straight, 45°, 90° and 180° hose ends, black or polished.",
            "For {hp} hp on E85 go AN-{bigger} feed and AN-6 return. AN-6 is good to about 600 hp on gas.",
            "It fits: the kit uses a quick-disconnect on the rail side and AN-8 from the tank.",
            "They're reusable. Cut the hose clean with the HRA-CUT-001 shears and use a new olive each time.",
        ],
        Topic::Wholesale => &[
            "We do. Shops get 25% off with code WHOLESALE25 once we verify your resale certificate.",
            "Quote's on its way to your email. Hose ships same day if you order before 2 pm.",
        ],
        Topic::Shipping => &[
            "We ship to Canada from our Canada warehouse for a flat $24.95, duties included.",
            "UPS 2-Day is $18.95 and usually arrives in two business days.",
            "Sure, local pickup is Monday to Friday, 7 to 5. Just pick it at checkout.",
        ],
    };
    fill(pick(rng, options), f, rng)
}

/// A customer's follow-up question and the team's answer to it.
pub(crate) fn follow_up(rng: &mut impl Rng) -> (String, String) {
    let (question, answer) = [
        (
            "Thanks! One more: do I need a check valve on the return?",
            "No check valve needed with a bypass regulator. Let us know how the build goes!",
        ),
        (
            "Ok. What torque do I use on the aluminum fittings?",
            "Snug plus about a quarter turn; aluminum threads don't need much.",
        ),
        (
            "Will the -8 ends fit the same hose?",
            "No, the ends are sized by AN number, so -8 ends need -8 hose.",
        ),
        (
            "Got it, thanks.",
            "Happy to help. Send pictures when it's running!",
        ),
        (
            "Perfect. Can you ship it today?",
            "If it's in by 2 pm Arizona time it goes out today.",
        ),
    ][rng.random_range(0..5)];
    (question.to_owned(), answer.to_owned())
}

pub(crate) fn csat_feedback(rating: u8, rng: &mut impl Rng) -> Option<String> {
    let options: &[&str] = match rating {
        5 => &[
            "Fast answer, knew their stuff.",
            "Great help sizing my fuel system.",
            "",
        ],
        4 => &["Good help, a bit slow.", ""],
        3 => &["Answer was ok.", ""],
        _ => &["Took too long to hear back.", "Still don't have my parts."],
    };
    let text = pick(rng, options);
    (!text.is_empty()).then(|| text.to_owned())
}

/// Chatwoot names anonymous widget visitors like `misty-dust-482`.
pub(crate) fn visitor_name(rng: &mut impl Rng) -> String {
    let a = pick(
        rng,
        &[
            "misty", "restless", "bold", "quiet", "rusty", "shiny", "late", "rapid", "amber",
        ],
    );
    let b = pick(
        rng,
        &[
            "dust", "river", "piston", "canyon", "mesa", "garage", "comet", "valve",
        ],
    );
    format!("{a}-{b}-{}", rng.random_range(100..1000))
}
