//! The deterministic demo location: a dental practice in Austin, Texas.
//!
//! Everything is generated from the seed and dated relative to an epoch (by default
//! [`crate::SEED_EPOCH_MS`], Monday 2026-11-23 00:00 UTC), so the same seed and epoch yield the
//! same bytes on every machine:
//! 40 contacts (tasks on every third), 10 conversations with messages, a 5-stage treatment
//! pipeline and a 3-stage membership pipeline with opportunities in every stage, two calendars
//! with events on the weekdays of three weeks (the week before the epoch, its week and the week
//! after: 2026-11-16 to 2026-12-04 for the default epoch; notes on some), contact and
//! opportunity custom fields, 15 orders and 36 transactions; blogs, email templates and the social
//! planner come from `marketing`; `agency` adds the company's two other sub-accounts. Names, emails (`example.*` domains) and phones (555-01xx) are fictional.

mod agency;
mod marketing;

pub(crate) use agency::{HILL_LOCATION_ID, LAKESIDE_LOCATION_ID};

use serde_json::{Value, json};

use crate::DEMO_LOCATION_ID;
use crate::domain::contacts::refresh_derived;
use crate::domain::messages::message_type_number;
use crate::store::Store;
use crate::util::{Rng, iso, iso_offset};

const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;
/// America/Chicago in November (CST): the location's local times are UTC-6.
const TZ_OFFSET_MIN: i64 = -360;

const FIRST: &[&str] = &[
    "Olivia",
    "Liam",
    "Emma",
    "Noah",
    "Ava",
    "Ethan",
    "Sophia",
    "Mason",
    "Isabella",
    "Lucas",
    "Mia",
    "Logan",
    "Amelia",
    "James",
    "Harper",
    "Benjamin",
    "Evelyn",
    "Elijah",
    "Abigail",
    "Daniel",
    "Emily",
    "Henry",
    "Ella",
    "Jackson",
    "Scarlett",
    "Sebastian",
    "Grace",
    "Aiden",
    "Chloe",
    "Matthew",
    "Zoey",
    "Samuel",
    "Lily",
    "David",
    "Hannah",
    "Joseph",
    "Nora",
    "Carter",
    "Riley",
    "Owen",
];
const LAST: &[&str] = &[
    "Garcia",
    "Johnson",
    "Patel",
    "Nguyen",
    "Williams",
    "Brown",
    "Martinez",
    "Kim",
    "Davis",
    "Lopez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Hernandez",
    "Moore",
    "Jackson",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Clark",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
];
const DOMAINS: &[&str] = &[
    "example.com",
    "example.net",
    "example.org",
    "mail.example.com",
];
const TAGS: &[&str] = &[
    "new patient",
    "invisalign",
    "whitening",
    "recall due",
    "vip",
    "insurance: delta dental",
    "insurance: cigna",
    "newsletter",
    "referral",
    "emergency",
];
const SOURCES: &[&str] = &[
    "website form",
    "referral",
    "google ads",
    "walk-in",
    "facebook",
];
const CITIES: &[(&str, &str)] = &[
    ("Austin", "78701"),
    ("Austin", "78704"),
    ("Round Rock", "78664"),
    ("Cedar Park", "78613"),
    ("Pflugerville", "78660"),
];
const STREETS: &[&str] = &[
    "Congress Ave",
    "South Lamar Blvd",
    "Barton Springs Rd",
    "Red River St",
    "Guadalupe St",
    "Burnet Rd",
];
const COMPANIES: &[&str] = &[
    "Hill Country Realty",
    "Austin Tech Labs",
    "Bluebonnet Bakery",
    "Lone Star Logistics",
    "Riverside Yoga",
];
const INSURERS: &[&str] = &["Delta Dental", "Cigna", "Aetna", "MetLife", "Self-pay"];

/// Builds the demo store; `epoch` is the instant the data is dated around (a Monday 00:00 UTC
/// keeps the calendar on weekdays).
pub(crate) fn seed(seed: u64, epoch: i64) -> Store {
    let mut rng = Rng::new(seed);
    let mut s = Store::empty(seed);
    let loc = DEMO_LOCATION_ID;

    let company_id = rng.id20();
    s.locations.push(json!({
        "id": loc,
        "companyId": company_id,
        "name": "Brightside Dental Studio",
        "domain": "brightside-dental.example.com",
        "address": "1450 Congress Ave, Suite 200",
        "city": "Austin",
        "state": "TX",
        "country": "US",
        "postalCode": "78701",
        "website": "https://brightside-dental.example.com",
        "timezone": "America/Chicago",
        "firstName": "Maya",
        "lastName": "Chen",
        "email": "frontdesk@brightside-dental.example.com",
        "phone": "+15125550199",
        "business": {
            "name": "Brightside Dental Studio",
            "address": "1450 Congress Ave, Suite 200",
            "city": "Austin",
            "state": "TX",
            "country": "US",
            "postalCode": "78701",
            "website": "https://brightside-dental.example.com",
            "timezone": "America/Chicago",
        },
        "social": {
            "facebookUrl": "https://www.facebook.com/brightsidedental.example",
            "instagram": "https://www.instagram.com/brightsidedental.example",
            "googlePlacesId": "sandbox-not-a-real-place",
        },
        "settings": {
            "allowDuplicateContact": false,
            "allowDuplicateOpportunity": false,
            "allowFacebookNameMerge": false,
            "disableContactTimezone": false,
        },
        "reseller": {},
    }));

    for name in ["Dr. Maya Chen", "Jordan Ellis", "Priya Natarajan"] {
        let id = rng.id20();
        s.users.push((id, name.to_string()));
    }
    let user = |rng: &mut Rng, s: &Store| rng.pick(&s.users).0.clone();

    // Custom fields.
    let cf =
        |rng: &mut Rng, name: &str, key: &str, dt: &str, model: &str, pos: i64, opts: &[&str]| {
            json!({
                "id": rng.id20(),
                "name": name,
                "fieldKey": format!("{model}.{key}"),
                "placeholder": name,
                "dataType": dt,
                "position": pos,
                "picklistOptions": opts,
                "picklistImageOptions": [],
                "isAllowedCustomOption": false,
                "isMultiFileAllowed": false,
                "maxFileLimit": 0,
                "locationId": loc,
                "model": model,
            })
        };
    let fields = vec![
        cf(
            &mut rng,
            "Insurance Provider",
            "insurance_provider",
            "SINGLE_OPTIONS",
            "contact",
            0,
            INSURERS,
        ),
        cf(
            &mut rng,
            "Preferred Dentist",
            "preferred_dentist",
            "TEXT",
            "contact",
            50,
            &[],
        ),
        cf(
            &mut rng,
            "Last Cleaning Date",
            "last_cleaning_date",
            "DATE",
            "contact",
            100,
            &[],
        ),
        cf(
            &mut rng,
            "Allergies",
            "allergies",
            "LARGE_TEXT",
            "contact",
            150,
            &[],
        ),
        cf(
            &mut rng,
            "Referral Source",
            "referral_source",
            "TEXT",
            "contact",
            200,
            &[],
        ),
        cf(
            &mut rng,
            "Treatment Type",
            "treatment_type",
            "SINGLE_OPTIONS",
            "opportunity",
            0,
            &["Invisalign", "Implants", "Whitening", "Crown", "Veneers"],
        ),
        cf(
            &mut rng,
            "Estimated Visits",
            "estimated_visits",
            "NUMERICAL",
            "opportunity",
            50,
            &[],
        ),
    ];
    let insurer_field = fields[0]["id"].clone();
    let dentist_field = fields[1]["id"].clone();
    s.custom_fields = fields;

    // Contacts, oldest first, spread over the 180 days before the epoch.
    let mut contact_ids = Vec::new();
    for i in 0..40usize {
        let first = FIRST[i];
        let last = LAST[(i * 7) % LAST.len()];
        let id = rng.id20();
        let added = epoch - 180 * DAY + i as i64 * 4 * DAY + rng.below(20) as i64 * HOUR;
        let email = format!(
            "{}.{}@{}",
            first.to_lowercase(),
            last.to_lowercase(),
            DOMAINS[i % DOMAINS.len()]
        );
        let mut tags: Vec<&str> = Vec::new();
        for _ in 0..rng.below(4) {
            let t = *rng.pick(TAGS);
            if !tags.contains(&t) {
                tags.push(t);
            }
        }
        let (city, zip) = *rng.pick(CITIES);
        let mut c = json!({
            "id": id,
            "locationId": loc,
            "firstName": first,
            "lastName": last,
            "email": email,
            "phone": format!("+151255501{i:02}"),
            "type": if i % 5 == 4 { "customer" } else { "lead" },
            "source": *rng.pick(SOURCES),
            "dnd": false,
            "tags": tags,
            "address1": format!("{} {}", 100 + rng.below(8900), rng.pick(STREETS)),
            "city": city,
            "state": "TX",
            "country": "US",
            "postalCode": zip,
            "timezone": "America/Chicago",
            "customFields": [],
            "additionalEmails": [],
            "attributions": [],
            "dateAdded": iso(added),
            "dateUpdated": iso((added + rng.below(30) as i64 * DAY).min(epoch - HOUR)),
            "deleted": false,
        });
        if rng.chance(0.3) {
            c["companyName"] = json!(rng.pick(COMPANIES));
        }
        if rng.chance(0.5) {
            c["assignedTo"] = json!(user(&mut rng, &s));
        }
        if rng.chance(0.6) {
            let mut cfs = vec![json!({ "id": insurer_field, "value": rng.pick(INSURERS) })];
            if rng.chance(0.5) {
                cfs.push(json!({ "id": dentist_field, "value": "Dr. Maya Chen" }));
            }
            c["customFields"] = json!(cfs);
        }
        if let Value::Object(m) = &mut c {
            refresh_derived(m);
        }
        if i % 3 == 0 {
            let titles = [
                (
                    "Call to confirm next appointment",
                    "Confirm the time and remind about the intake form.",
                ),
                (
                    "Send insurance pre-authorization",
                    "Submit the treatment plan to the insurer.",
                ),
                (
                    "Follow up on treatment plan",
                    "Answer questions about cost and financing.",
                ),
                (
                    "Ask for a Google review",
                    "Patient was happy with the last visit.",
                ),
            ];
            let n = 1 + rng.below(2) as usize;
            let mut list = Vec::new();
            for k in 0..n {
                let (title, body) = titles[(i / 3 + k) % titles.len()];
                let due = epoch + (rng.below(14) as i64 - 4) * DAY + 15 * HOUR;
                list.push(json!({
                    "id": rng.id20(),
                    "title": title,
                    "body": body,
                    "assignedTo": user(&mut rng, &s),
                    "dueDate": iso(due),
                    "completed": due < epoch && rng.chance(0.6),
                    "contactId": id,
                }));
            }
            s.tasks.insert(id.clone(), list);
        }
        s.put_contact(c);
        contact_ids.push(id);
    }

    seed_conversations(&mut s, &mut rng, &contact_ids, epoch);
    seed_opportunities(&mut s, &mut rng, &contact_ids, epoch);
    seed_calendars(&mut s, &mut rng, &contact_ids, epoch);
    seed_payments(&mut s, &mut rng, &contact_ids, epoch);
    marketing::seed(&mut s, seed, epoch);
    agency::seed(&mut s, seed, epoch);
    s
}

/// Whole amounts as JSON integers (`180`, not `180.0`), as HighLevel prints them.
/// A pipeline's stages in HighLevel's shape, in order, each with a fresh id.
fn stage_records(rng: &mut Rng, names: &[&str]) -> Vec<Value> {
    names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            json!({
                "id": rng.uuid(),
                "name": n,
                "position": i,
                "showInFunnel": true,
                "showInPieChart": true,
            })
        })
        .collect()
}

fn money(x: f64) -> Value {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        json!(x as i64)
    } else {
        json!(x)
    }
}

fn seed_conversations(s: &mut Store, rng: &mut Rng, contacts: &[String], epoch: i64) {
    let threads: &[&[(&str, &str)]] = &[
        &[
            (
                "inbound",
                "Hi! Do you have any openings this week for a cleaning?",
            ),
            (
                "outbound",
                "We do! Thursday at 10:30 or Friday at 2:00. Which works better?",
            ),
            ("inbound", "Thursday 10:30 please."),
            (
                "outbound",
                "You're booked for Thursday at 10:30. See you then!",
            ),
        ],
        &[
            (
                "outbound",
                "Reminder: your appointment is tomorrow at 9:00 AM. Reply C to confirm.",
            ),
            ("inbound", "C"),
        ],
        &[
            (
                "inbound",
                "How much does Invisalign cost with Delta Dental?",
            ),
            (
                "outbound",
                "Most Delta plans cover part of it. We can check your benefits at a free consult.",
            ),
            ("inbound", "Great, can I come in next Tuesday?"),
        ],
        &[
            (
                "outbound",
                "Thanks for visiting Brightside Dental today! How was your experience?",
            ),
            ("inbound", "Everything was great, thank you!"),
            (
                "outbound",
                "So glad to hear it! Would you leave us a quick review?",
            ),
        ],
        &[
            (
                "inbound",
                "I chipped a tooth, is there an emergency slot today?",
            ),
            ("outbound", "Yes, can you be here at 3:15 PM?"),
            ("inbound", "On my way at 3."),
            ("outbound", "Perfect, see you soon."),
            ("inbound", "Thanks for fitting me in!"),
        ],
        &[(
            "outbound",
            "Your 6-month checkup is due. Want us to book you in?",
        )],
        &[
            ("inbound", "Can I move my appointment to the afternoon?"),
            ("outbound", "Sure, 4:00 PM on the same day is open."),
            ("inbound", "That works."),
        ],
        &[
            (
                "outbound",
                "Your treatment plan is attached. Let us know if you have questions.",
            ),
            ("inbound", "Does the plan include the night guard?"),
        ],
        &[
            ("inbound", "Do you accept Cigna?"),
            ("outbound", "Yes, we're in network with Cigna PPO plans."),
        ],
        &[
            (
                "outbound",
                "Welcome to Brightside Dental! Your new patient forms are ready online.",
            ),
            ("inbound", "Filled them out, thanks."),
            ("outbound", "Got them. See you Monday!"),
        ],
    ];
    let picks = [0usize, 1, 2, 3, 5, 8, 13, 21, 34, 4];
    for (k, (thread, &ci)) in threads.iter().zip(picks.iter()).enumerate() {
        let contact_id = contacts[ci].clone();
        let conv_id = rng.id20();
        let email_thread = k == 7 || k == 9;
        let mtype = if email_thread {
            "TYPE_EMAIL"
        } else {
            "TYPE_SMS"
        };
        let last_at = epoch - (k as i64 * 7 + 2) * HOUR;
        let first_at = last_at - (thread.len() as i64 - 1) * 47 * 60_000;
        let mut msgs = Vec::new();
        let mut unread = 0;
        for (j, (dir, body)) in thread.iter().enumerate() {
            let at = first_at + j as i64 * 47 * 60_000;
            let mut m = json!({
                "id": rng.id20(),
                "type": message_type_number(mtype),
                "messageType": mtype,
                "locationId": DEMO_LOCATION_ID,
                "contactId": contact_id,
                "conversationId": conv_id,
                "dateAdded": iso(at),
                "body": body,
                "direction": dir,
                "status": "delivered",
                "contentType": "text/plain",
                "attachments": [],
                "source": "app",
            });
            if *dir == "outbound" {
                m["userId"] = json!(rng.pick(&s.users).0.clone());
                unread = 0;
            } else {
                unread += 1;
            }
            if email_thread {
                m["meta"] =
                    json!({ "email": { "subject": "Your Brightside Dental treatment plan" } });
            }
            msgs.push(m);
        }
        let last = msgs.last().cloned().unwrap_or(Value::Null);
        s.conversations.insert(
            conv_id.clone(),
            json!({
                "id": conv_id,
                "contactId": contact_id,
                "locationId": DEMO_LOCATION_ID,
                "lastMessageBody": last["body"],
                "lastMessageType": mtype,
                "lastMessageDirection": last["direction"],
                "lastMessageDate": last_at,
                "type": if email_thread { "TYPE_EMAIL" } else { "TYPE_PHONE" },
                "unreadCount": unread,
                "starred": k == 4,
                "inbox": true,
                "deleted": false,
                "dateAdded": first_at,
                "dateUpdated": last_at,
                "tags": [],
                "followers": [],
            }),
        );
        s.conversation_order.push(conv_id.clone());
        s.conversation_of
            .insert(contact_id.clone(), conv_id.clone());
        s.messages.insert(conv_id, msgs);
    }
}

fn seed_opportunities(s: &mut Store, rng: &mut Rng, contacts: &[String], epoch: i64) {
    let pipelines: [(&str, &[&str]); 2] = [
        (
            "Patient Treatment",
            &[
                "New Inquiry",
                "Consultation Booked",
                "Treatment Plan Sent",
                "Treatment Accepted",
                "Treatment Completed",
            ],
        ),
        ("Membership Plan", &["Interested", "Trial Month", "Member"]),
    ];
    let treatments = ["Invisalign", "Implants", "Whitening", "Crown", "Veneers"];
    let values = [450.0, 1200.0, 3500.0, 5200.0, 850.0, 2400.0, 4100.0];
    let mut ci = 2usize;
    for (pi, (pname, stages)) in pipelines.iter().enumerate() {
        let pid = rng.id20();
        let stage_list = stage_records(rng, stages);
        for (si, stage) in stage_list.iter().enumerate() {
            let per_stage = if pi == 0 { 3 + (si % 2) } else { 2 };
            for k in 0..per_stage {
                let contact_id = contacts[ci % contacts.len()].clone();
                ci += 3;
                let contact_name = s.contacts[&contact_id]["contactName"]
                    .as_str()
                    .unwrap_or("")
                    .to_string();
                let created = epoch - (90 - (si as i64 * 12) - k as i64 * 3) * DAY
                    + (14 + rng.below(9) as i64) * HOUR
                    + rng.below(60) as i64 * 60_000;
                let stage_at = created + (2 + si as i64 * 5) * DAY;
                let last_stage = si + 1 == stage_list.len();
                let status = if last_stage {
                    "won"
                } else if pi == 0 && k == 2 && si == 1 {
                    "lost"
                } else if pi == 0 && k == 2 && si == 2 {
                    "abandoned"
                } else {
                    "open"
                };
                let name = if pi == 0 {
                    format!(
                        "{contact_name} - {}",
                        treatments[(si + k) % treatments.len()]
                    )
                } else {
                    format!("{contact_name} - Membership")
                };
                let id = rng.id20();
                let mut o = json!({
                    "id": id,
                    "name": name,
                    "monetaryValue": money(if pi == 0 { values[(si * 3 + k) % values.len()] } else { 39.0 * 12.0 }),
                    "pipelineId": pid,
                    "pipelineStageId": stage["id"],
                    "assignedTo": rng.pick(&s.users).0.clone(),
                    "status": status,
                    "source": *rng.pick(SOURCES),
                    "lastStatusChangeAt": iso(stage_at),
                    "lastStageChangeAt": iso(stage_at),
                    "lastActionDate": iso(stage_at),
                    "indexVersion": 1,
                    "createdAt": iso(created),
                    "updatedAt": iso(stage_at),
                    "contactId": contact_id,
                    "locationId": DEMO_LOCATION_ID,
                    "customFields": [],
                    "followers": [],
                });
                if status == "lost" {
                    o["lostReasonId"] = json!(rng.id20());
                }
                s.opportunities.insert(id.clone(), o);
                s.opportunity_order.push(id);
            }
        }
        s.pipelines.push(json!({
            "id": pid,
            "name": pname,
            "stages": stage_list,
            "showInFunnel": true,
            "showInPieChart": true,
            "locationId": DEMO_LOCATION_ID,
        }));
    }
}

fn seed_calendars(s: &mut Store, rng: &mut Rng, contacts: &[String], epoch: i64) {
    let group_id = rng.id20();
    let cals = [
        ("New Patient Consultation", 60i64),
        ("Cleaning & Checkup", 45i64),
    ];
    let mut cal_ids = Vec::new();
    for (name, minutes) in cals {
        let id = rng.id20();
        let members: Vec<Value> = s
            .users
            .iter()
            .map(|(u, _)| json!({ "userId": u, "priority": 0.5 }))
            .collect();
        s.calendars.push(json!({
            "id": id,
            "locationId": DEMO_LOCATION_ID,
            "groupId": group_id,
            "name": name,
            "description": format!("{name} at Brightside Dental Studio"),
            "slug": name.to_lowercase().replace([' ', '&'], "-").replace("--", "-"),
            "calendarType": "round_robin",
            "teamMembers": members,
            "slotDuration": minutes,
            "isActive": true,
        }));
        cal_ids.push((id, name, minutes));
    }
    let note_texts = [
        "Patient prefers morning appointments.",
        "Sensitive to cold on lower left molars.",
        "Discussed whitening options; sent brochure.",
        "Bring insurance card to next visit.",
        "Needs X-rays updated.",
    ];
    let monday_before = epoch - 7 * DAY;
    let mut ci = 1usize;
    for day in 0..19i64 {
        let weekday = day % 7; // 0 = Monday
        if weekday >= 5 {
            continue;
        }
        let slots = 1 + (day % 2);
        for k in 0..slots {
            let (cal_id, cal_name, minutes) = &cal_ids[((day + k) % 2) as usize];
            let contact_id = contacts[ci % contacts.len()].clone();
            ci += 5;
            let local_hour = 9 + ((day * 3 + k * 4) % 8);
            // Local time (UTC-6) to UTC.
            let start = monday_before + day * DAY + local_hour * HOUR - TZ_OFFSET_MIN * 60_000;
            let end = start + minutes * 60_000;
            let user = rng.pick(&s.users).0.clone();
            let status = if start < epoch {
                *rng.pick(&["showed", "showed", "showed", "noshow", "cancelled"])
            } else {
                *rng.pick(&["confirmed", "confirmed", "new"])
            };
            let contact_name = s.contacts[&contact_id]["contactName"]
                .as_str()
                .unwrap_or("")
                .to_string();
            let id = rng.id20();
            let booked = start - (3 + rng.below(10) as i64) * DAY;
            s.events.push(json!({
                "id": id,
                "address": "1450 Congress Ave, Suite 200, Austin, TX 78701",
                "title": format!("{cal_name} - {contact_name}"),
                "calendarId": cal_id,
                "locationId": DEMO_LOCATION_ID,
                "contactId": contact_id,
                "groupId": group_id,
                "appointmentStatus": status,
                "assignedUserId": user,
                "users": [user],
                "notes": "",
                "isRecurring": false,
                // Date-time strings in the location's offset, as the API sends them (the
                // official schema says `object`; see spec-quirks.md).
                "startTime": iso_offset(start, TZ_OFFSET_MIN),
                "endTime": iso_offset(end, TZ_OFFSET_MIN),
                "dateAdded": iso_offset(booked, TZ_OFFSET_MIN),
                "dateUpdated": iso_offset(booked, TZ_OFFSET_MIN),
                "assignedResources": [],
                "createdBy": { "userId": user, "source": "booking_widget" },
            }));
            if rng.chance(0.45) {
                let n = 1 + rng.below(3) as i64;
                let mut notes = Vec::new();
                for j in 0..n {
                    let (uid, uname) = rng.pick(&s.users).clone();
                    notes.push(json!({
                        "id": rng.id20(),
                        "body": note_texts[((day + j) as usize) % note_texts.len()],
                        "userId": uid,
                        "dateAdded": iso(booked + (n - j) * HOUR),
                        "contactId": contact_id,
                        "createdBy": { "id": uid, "name": uname },
                    }));
                }
                s.notes.insert(id, notes);
            }
        }
    }
    s.events.sort_by(|a, b| {
        let t =
            |e: &Value| crate::util::parse_iso(e["startTime"].as_str().unwrap_or("")).unwrap_or(0);
        t(a).cmp(&t(b))
    });
}

fn seed_payments(s: &mut Store, rng: &mut Rng, contacts: &[String], epoch: i64) {
    let products: [(&str, f64, &str); 6] = [
        ("Teeth Whitening Kit", 149.0, "PHYSICAL"),
        ("Invisalign Consultation Deposit", 250.0, "SERVICE"),
        ("Cleaning & Exam", 180.0, "SERVICE"),
        ("Custom Night Guard", 395.0, "PHYSICAL"),
        ("Membership - Monthly", 39.0, "SERVICE"),
        ("Emergency Visit Fee", 120.0, "SERVICE"),
    ];
    let sources = [
        ("funnel", "two_step_order_form", "New Patient Special"),
        ("payment_link", "", "Deposit link"),
        ("calendar", "", "New Patient Consultation"),
        ("point_of_sale", "tap_to_pay", "Front desk"),
        ("invoice", "", "Invoice"),
    ];
    let brands = ["visa", "mastercard", "amex", "discover"];
    let order_statuses = [
        "completed",
        "completed",
        "completed",
        "pending",
        "completed",
        "refunded",
        "completed",
    ];
    let mut txs: Vec<(i64, Value)> = Vec::new();
    let contact_info = |s: &Store, id: &str| {
        let c = &s.contacts[id];
        (
            c["contactName"].as_str().unwrap_or("").to_string(),
            c["email"].as_str().unwrap_or("").to_string(),
            c.clone(),
        )
    };
    let provider_account = rng.hex24();
    for i in 0..36usize {
        let contact_id = contacts[(i * 7 + 3) % contacts.len()].clone();
        let (cname, cemail, c) = contact_info(s, &contact_id);
        let created = epoch - 60 * DAY + i as i64 * 40 * HOUR + rng.below(6) as i64 * HOUR;
        let live = i % 9 != 8;
        let (mut stype, mut ssub, mut sname) = sources[i % sources.len()];
        let (pname, price, ptype) = products[(i * 5 + 1) % products.len()];
        let qty = if ptype == "PHYSICAL" {
            1 + (i % 2) as i64
        } else {
            1
        };
        let subtotal = price * qty as f64;
        let discount = if i % 6 == 0 { 10.0 } else { 0.0 };
        let amount = subtotal - discount;
        let mut entity_type = "order";
        let mut entity_id = String::new();
        let mut tx_status = *rng.pick(&[
            "succeeded",
            "succeeded",
            "succeeded",
            "succeeded",
            "failed",
            "pending",
        ]);
        let mut refunded = 0.0;
        let mut subscription = None;
        if i % 5 < 2 {
            // Two payments in five (15 of 36, spread over the two months) belong to orders.
            let order_id = rng.hex24();
            let ostatus = order_statuses[i % order_statuses.len()];
            tx_status = match ostatus {
                "completed" => "succeeded",
                "refunded" => "refunded",
                _ => "pending",
            };
            if ostatus == "refunded" {
                refunded = amount;
            }
            let order = json!({
                "_id": order_id,
                "altId": DEMO_LOCATION_ID,
                "altType": "location",
                "contactId": contact_id,
                "contactName": cname,
                "contactEmail": cemail,
                "currency": "USD",
                "amount": money(amount),
                "status": ostatus,
                "liveMode": live,
                "createdAt": iso(created),
                "updatedAt": iso(created + 2 * HOUR),
                "fulfillmentStatus": if ostatus == "completed" && ptype == "PHYSICAL" { "fulfilled" } else { "unfulfilled" },
                "contactSnapshot": {
                    "id": contact_id,
                    "firstName": c["firstName"],
                    "lastName": c["lastName"],
                    "email": c["email"],
                    "phone": c["phone"],
                },
                "amountSummary": { "subtotal": money(subtotal), "discount": money(discount), "tax": 0, "shipping": 0 },
                "source": { "type": stype, "subType": ssub, "id": rng.id20(), "name": sname },
                // Objects, not the strings the official schema declares (spec-quirks.md).
                "items": [{
                    "_id": rng.hex24(),
                    "name": pname,
                    "qty": qty,
                    "price": { "_id": rng.hex24(), "name": pname, "amount": money(price), "currency": "USD", "type": "one_time" },
                    "product": { "_id": rng.hex24(), "name": pname, "productType": ptype },
                }],
                "coupon": if discount > 0.0 { json!({ "code": "SMILE10", "_id": rng.hex24() }) } else { json!({}) },
                "trackingId": rng.uuid(),
                "fingerprint": rng.uuid(),
                "meta": {},
                "markAsTest": !live,
                "traceId": rng.uuid(),
                "automaticTaxesCalculated": false,
                "createdBy": rng.pick(&s.users).0.clone(),
            });
            entity_id = order_id.clone();
            s.orders.insert(order_id.clone(), order);
            s.order_order.push(order_id);
        } else if pname.starts_with("Membership") || i % 5 == 2 {
            entity_type = "subscription";
            subscription = Some(format!("sub_{}", rng.id20()));
        } else {
            entity_type = "invoice";
            entity_id = rng.hex24();
            (stype, ssub, sname) = ("invoice", "", "Treatment invoice");
        }
        if entity_id.is_empty() {
            entity_id = rng.hex24();
        }
        let tx_id = rng.hex24();
        let mut tx = json!({
            "_id": tx_id,
            "altId": DEMO_LOCATION_ID,
            "altType": "location",
            "contactId": contact_id,
            "contactName": cname,
            "contactEmail": cemail,
            "currency": "USD",
            "amount": money(amount),
            // A string, though the official schema says `object` (spec-quirks.md).
            "status": tx_status,
            "liveMode": live,
            "entityType": entity_type,
            "entityId": entity_id,
            "entitySourceType": stype,
            "entitySourceSubType": ssub,
            "entitySourceName": sname,
            "entitySourceId": rng.id20(),
            "entitySourceMeta": {},
            "chargeId": format!("ch_{}", rng.id20()),
            "chargeSnapshot": {},
            "paymentProviderType": "stripe",
            "paymentProviderConnectedAccount": provider_account,
            "ipAddress": format!("203.0.113.{}", 10 + i),
            "createdAt": iso(created),
            "updatedAt": iso(created + HOUR),
            "amountRefunded": money(refunded),
            "paymentMethod": { "card": { "brand": rng.pick(&brands), "last4": format!("{:04}", rng.below(10_000)) } },
            "fulfilledAt": iso(created + HOUR),
            "createdBy": rng.pick(&s.users).0.clone(),
        });
        if let Some(sub) = subscription {
            tx["subscriptionId"] = json!(sub);
        }
        txs.push((created, tx));
    }
    // Newest first, as HighLevel lists them.
    txs.sort_by_key(|t| std::cmp::Reverse(t.0));
    s.transactions = txs.into_iter().map(|(_, t)| t).collect();
}
