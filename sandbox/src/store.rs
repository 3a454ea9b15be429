//! The in-memory data of the emulator: [`Store`], every record of every location.
//!
//! Records are kept as `serde_json` objects in HighLevel's own response shapes, so a handler
//! answers by cloning a record and tests inspect exactly what a client would see. The whole store
//! sits behind one `parking_lot::RwLock` (in `state.rs`): every write (match-then-insert for
//! upserts included) is a single critical section, so concurrent requests cannot lose updates or
//! create duplicates. Handlers never hold the lock across an `.await`.
//!
//! This module is the bottom layer of the sandbox's own code: it depends on nothing but `util`
//! and `error`; the domain rules, the seed, the shared state and the HTTP handlers build on it.

use std::collections::HashMap;

use serde_json::Value;

use crate::error::ApiError;
use crate::util::Rng;

/// Everything the emulator knows, for all locations.
pub(crate) struct Store {
    /// Ids of new records come from this generator, so the same sequence of requests on the same
    /// seed yields the same ids.
    pub(crate) rng: Rng,
    pub(crate) locations: Vec<Value>,
    /// Staff users of the demo location: (id, name).
    pub(crate) users: Vec<(String, String)>,
    pub(crate) custom_fields: Vec<Value>,
    pub(crate) contacts: HashMap<String, Value>,
    /// Contact ids in creation order; the order of `GET /contacts/` and its cursor.
    pub(crate) contact_order: Vec<String>,
    /// (location, lower-case email) → contact id, for duplicate checks and upsert matching.
    pub(crate) by_email: HashMap<(String, String), String>,
    /// (location, E.164 phone) → contact id.
    pub(crate) by_phone: HashMap<(String, String), String>,
    pub(crate) tasks: HashMap<String, Vec<Value>>,
    /// Contact id → the id of its conversation.
    pub(crate) conversation_of: HashMap<String, String>,
    pub(crate) conversations: HashMap<String, Value>,
    pub(crate) conversation_order: Vec<String>,
    /// Messages per conversation, oldest first.
    pub(crate) messages: HashMap<String, Vec<Value>>,
    pub(crate) calendars: Vec<Value>,
    /// Calendar events, sorted by start time.
    pub(crate) events: Vec<Value>,
    pub(crate) notes: HashMap<String, Vec<Value>>,
    pub(crate) pipelines: Vec<Value>,
    pub(crate) opportunities: HashMap<String, Value>,
    pub(crate) opportunity_order: Vec<String>,
    pub(crate) orders: HashMap<String, Value>,
    pub(crate) order_order: Vec<String>,
    pub(crate) transactions: Vec<Value>,
    /// Blogs, email templates and the social planner.
    pub(crate) marketing: crate::marketing::Marketing,
}

impl Store {
    pub(crate) fn empty(seed: u64) -> Self {
        Store {
            rng: Rng::new(seed.wrapping_add(1)),
            locations: Vec::new(),
            users: Vec::new(),
            custom_fields: Vec::new(),
            contacts: HashMap::new(),
            contact_order: Vec::new(),
            by_email: HashMap::new(),
            by_phone: HashMap::new(),
            tasks: HashMap::new(),
            conversation_of: HashMap::new(),
            conversations: HashMap::new(),
            conversation_order: Vec::new(),
            messages: HashMap::new(),
            calendars: Vec::new(),
            events: Vec::new(),
            notes: HashMap::new(),
            pipelines: Vec::new(),
            opportunities: HashMap::new(),
            opportunity_order: Vec::new(),
            orders: HashMap::new(),
            order_order: Vec::new(),
            transactions: Vec::new(),
            marketing: Default::default(),
        }
    }

    pub(crate) fn location(&self, id: &str) -> Option<&Value> {
        self.locations.iter().find(|l| l["id"] == id)
    }

    /// A location named in a query or body must exist; HighLevel answers a token/location
    /// mismatch with a 400-class error, and so do we.
    pub(crate) fn require_location(&self, id: &str) -> Result<(), ApiError> {
        if self.location(id).is_some() {
            Ok(())
        } else {
            Err(ApiError::bad_request(format!(
                "Location {id:?} was not found or this token cannot access it; the sandbox serves location {:?}",
                crate::DEMO_LOCATION_ID
            )))
        }
    }

    /// Inserts or replaces a contact, keeping creation order and the email/phone indexes right.
    pub(crate) fn put_contact(&mut self, contact: Value) {
        let id = contact["id"].as_str().unwrap_or("").to_string();
        let keys = |c: &Value| {
            let loc = c["locationId"].as_str().unwrap_or("").to_string();
            let email = c["emailLowerCase"]
                .as_str()
                .filter(|e| !e.is_empty())
                .map(|e| (loc.clone(), e.to_string()));
            let phone = c["phone"]
                .as_str()
                .filter(|p| !p.is_empty())
                .map(|p| (loc.clone(), p.to_string()));
            (email, phone)
        };
        match self.contacts.get(&id) {
            Some(old) => {
                let (email, phone) = keys(old);
                if let Some(k) = email
                    && self.by_email.get(&k) == Some(&id)
                {
                    self.by_email.remove(&k);
                }
                if let Some(k) = phone
                    && self.by_phone.get(&k) == Some(&id)
                {
                    self.by_phone.remove(&k);
                }
            }
            None => self.contact_order.push(id.clone()),
        }
        let (email, phone) = keys(&contact);
        // The first contact holding an email or phone keeps it, as HighLevel's matching does.
        if let Some(k) = email {
            self.by_email.entry(k).or_insert_with(|| id.clone());
        }
        if let Some(k) = phone {
            self.by_phone.entry(k).or_insert_with(|| id.clone());
        }
        self.contacts.insert(id, contact);
    }

    /// A fresh id that no record uses yet.
    pub(crate) fn new_id(&mut self) -> String {
        loop {
            let id = self.rng.id20();
            if !self.contacts.contains_key(&id)
                && !self.conversations.contains_key(&id)
                && !self.opportunities.contains_key(&id)
            {
                return id;
            }
        }
    }
}
