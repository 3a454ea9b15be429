//! The agency around the demo location: two more sub-accounts of the same company, each with its
//! own few contacts, one pipeline and opportunities in it, so an agency token that switches
//! between locations sees different records in each.
//!
//! They are built from their own generator (seeded from the sandbox seed), after the demo
//! location, so the demo location's data stays byte-identical to what it was before they existed.

use serde_json::{Value, json};

use crate::domain::contacts::refresh_derived;
use crate::store::Store;
use crate::util::{Rng, iso};

/// The second sub-account: a physiotherapy practice.
pub(crate) const LAKESIDE_LOCATION_ID: &str = "sbxLakeLoc8R3mK5pX2q";
/// The third sub-account: a veterinary clinic.
pub(crate) const HILL_LOCATION_ID: &str = "sbxHillLoc6J9dF4tB1n";

const DAY: i64 = 86_400_000;

struct SubAccount {
    id: &'static str,
    name: &'static str,
    city: &'static str,
    postal: &'static str,
    street: &'static str,
    domain: &'static str,
    pipeline: &'static str,
    stages: &'static [&'static str],
    /// (first, last, what the opportunity is about)
    people: &'static [(&'static str, &'static str, &'static str)],
}

const SUB_ACCOUNTS: &[SubAccount] = &[
    SubAccount {
        id: LAKESIDE_LOCATION_ID,
        name: "Lakeside Physiotherapy",
        city: "Round Rock",
        postal: "78664",
        street: "210 Lake Creek Pkwy",
        domain: "lakeside-physio.example.com",
        pipeline: "Rehab Programs",
        stages: &["Referral Received", "Assessment Booked", "Program Active"],
        people: &[
            ("Tobias", "Lindqvist", "Knee rehab"),
            ("Marisol", "Ortega", "Back pain program"),
            ("Kenji", "Watanabe", "Sports injury"),
            ("Fatima", "Haddad", "Post-surgery rehab"),
            ("Declan", "Murphy", "Shoulder mobility"),
        ],
    },
    SubAccount {
        id: HILL_LOCATION_ID,
        name: "Hill Country Veterinary Clinic",
        city: "Dripping Springs",
        postal: "78620",
        street: "88 Mercer St",
        domain: "hillcountry-vet.example.com",
        pipeline: "Pet Care Plans",
        stages: &["Inquiry", "Exam Scheduled", "Plan Signed"],
        people: &[
            ("Rosalind", "Achebe", "Puppy wellness plan"),
            ("Gustavo", "Ferreira", "Senior cat care"),
            ("Ingrid", "Sorensen", "Dental cleaning"),
            ("Omar", "Siddiqui", "Vaccination package"),
        ],
    },
];

/// Adds the two sub-accounts to `s`, under the demo location's company.
pub(crate) fn seed(s: &mut Store, seed: u64, epoch: i64) {
    let company_id = s
        .locations
        .first()
        .and_then(|l| l["companyId"].as_str())
        .unwrap_or("")
        .to_string();
    let mut rng = Rng::new(seed ^ 0xA6E_0C7);
    for account in SUB_ACCOUNTS {
        seed_one(s, &mut rng, account, &company_id, epoch);
    }
}

fn seed_one(s: &mut Store, rng: &mut Rng, a: &SubAccount, company_id: &str, epoch: i64) {
    s.locations.push(json!({
        "id": a.id,
        "companyId": company_id,
        "name": a.name,
        "domain": a.domain,
        "address": a.street,
        "city": a.city,
        "state": "TX",
        "country": "US",
        "postalCode": a.postal,
        "website": format!("https://{}", a.domain),
        "timezone": "America/Chicago",
        "email": format!("hello@{}", a.domain),
        "business": {
            "name": a.name,
            "address": a.street,
            "city": a.city,
            "state": "TX",
            "country": "US",
            "postalCode": a.postal,
            "website": format!("https://{}", a.domain),
            "timezone": "America/Chicago",
        },
        "settings": {
            "allowDuplicateContact": false,
            "allowDuplicateOpportunity": false,
            "allowFacebookNameMerge": false,
            "disableContactTimezone": false,
        },
        "reseller": {},
    }));

    let stages = super::stage_records(rng, a.stages);
    let pipeline_id = rng.id20();

    for (i, (first, last, topic)) in a.people.iter().enumerate() {
        let id = rng.id20();
        let added = epoch - (60 - i as i64 * 9) * DAY;
        let mut c = json!({
            "id": id,
            "locationId": a.id,
            "firstName": first,
            "lastName": last,
            "email": format!("{}.{}@example.org", first.to_lowercase(), last.to_lowercase()),
            "phone": format!("+1512555{:04}", 200 + i + 10 * (a.id == HILL_LOCATION_ID) as usize),
            "type": "lead",
            "source": "website form",
            "dnd": false,
            "tags": [],
            "city": a.city,
            "state": "TX",
            "country": "US",
            "postalCode": a.postal,
            "timezone": "America/Chicago",
            "customFields": [],
            "additionalEmails": [],
            "attributions": [],
            "dateAdded": iso(added),
            "dateUpdated": iso(added + DAY),
            "deleted": false,
        });
        if let Value::Object(m) = &mut c {
            refresh_derived(m);
        }
        s.put_contact(c);

        let stage = &stages[i % stages.len()];
        let opportunity_id = rng.id20();
        let at = iso(added + 2 * DAY);
        s.opportunities.insert(
            opportunity_id.clone(),
            json!({
                "id": opportunity_id,
                "name": format!("{first} {last} - {topic}"),
                "monetaryValue": 300 + 150 * i as i64,
                "pipelineId": pipeline_id,
                "pipelineStageId": stage["id"],
                "status": "open",
                "source": "website form",
                "lastStatusChangeAt": at,
                "lastStageChangeAt": at,
                "lastActionDate": at,
                "indexVersion": 1,
                "createdAt": at,
                "updatedAt": at,
                "contactId": id,
                "locationId": a.id,
                "customFields": [],
                "followers": [],
            }),
        );
        s.opportunity_order.push(opportunity_id);
    }
    s.pipelines.push(json!({
        "id": pipeline_id,
        "name": a.pipeline,
        "stages": stages,
        "showInFunnel": true,
        "showInPieChart": true,
        "locationId": a.id,
    }));
}
