//! Telephony set-up can be corrected: trunks, numbers, ring groups, dial rules and queues are
//! changed with the checks they were added with, removed when nothing leads to them any more,
//! and the next call follows the change.

use super::{crms, new_user};
use crm::CrmError;
use crm::OrgSlug;
use crm::queues::QueueForm;
use crm::sip::trunks::{NewTrunk, NumberRoute};
use telephony::queue::QueueExit;
use telephony::{InboundRoute, SipDirectory};

#[tokio::test]
async fn a_typo_in_the_telephony_set_up_can_be_corrected_and_removed() {
    let dir = tempfile::tempdir().unwrap();
    for (b, crm) in crms(dir.path()).await {
        let acme = crm.create_org(&OrgSlug::parse("acme").unwrap(), "Acme").await.unwrap();
        let globex = crm.create_org(&OrgSlug::parse("globex").unwrap(), "Globex").await.unwrap();
        let mia = crm.create_user(acme.id, new_user("mia", "1009", "manager")).await.unwrap();
        crm.create_user(acme.id, new_user("anna", "1001", "agent")).await.unwrap();
        crm.create_user(acme.id, new_user("beata", "1002", "agent")).await.unwrap();
        // A trunk with a typo in its address: calls from the real one are not taken.
        let typo = NewTrunk {
            name: "carier".into(),
            host: "192.0.2.100".into(),
            port: 5060,
            transport: "udp".into(),
            password: Some("secret".into()),
            username: Some("acme".into()),
            ..Default::default()
        };
        let t = crm.create_trunk(acme.id, typo.clone()).await.unwrap();
        assert!(crm.trunks_for_source("192.0.2.10".parse().unwrap()).await.is_empty(), "{b}");
        let fixed = NewTrunk { name: "carrier".into(), host: "192.0.2.10".into(), password: None, ..typo.clone() };
        let t2 = crm.update_trunk(acme.id, t.id, fixed).await.unwrap();
        assert_eq!((t2.name.as_str(), t2.inbound_addresses.as_str()), ("carrier", "192.0.2.10"), "{b}");
        assert_eq!(t2.password.as_deref(), Some("secret"), "{b}: an empty password keeps the one it had");
        assert_eq!(crm.trunks_for_source("192.0.2.10".parse().unwrap()).await.len(), 1, "{b}: in force at once");
        // The same checks as when adding: the bad change is refused and changes nothing.
        let bad = NewTrunk { port: 0, ..typo.clone() };
        assert_eq!(crm.update_trunk(acme.id, t.id, bad).await.unwrap_err().code(), "err-trunk-port", "{b}");
        assert_eq!(crm.trunk(acme.id, t.id).await.unwrap().host, "192.0.2.10", "{b}");
        // Another organization's trunk is not found, whatever is asked.
        assert!(matches!(crm.update_trunk(globex.id, t.id, typo.clone()).await, Err(CrmError::NotFound)), "{b}");
        assert!(matches!(crm.delete_trunk(globex.id, t.id).await, Err(CrmError::NotFound)), "{b}");

        // A number that rang the wrong extension, then the right group.
        let n = crm.add_number(acme.id, "48221234560", NumberRoute::Extension("1001")).await.unwrap();
        let g = crm.create_ring_group(acme.id, "sales", &["1001".into(), "1002".into()], true, 20).await.unwrap();
        let tenant = crm.trunks_for_source("192.0.2.10".parse().unwrap()).await[0].tenant.clone();
        crm.update_number(acme.id, n.id, "+48 22 123 45 67", NumberRoute::Group(g.id)).await.unwrap();
        assert!(crm.route_inbound(&tenant, "48221234560").await.is_none(), "{b}: the old digits are gone");
        assert!(
            matches!(crm.route_inbound(&tenant, "48221234567").await, Some(InboundRoute::Group { .. })),
            "{b}: the corrected number rings the group"
        );
        assert!(
            matches!(crm.route_inbound(&tenant, "22 123 45 67").await, Some(InboundRoute::Group { .. })),
            "{b}: dialled by a colleague as a national number, it rings there too"
        );
        let unknown = crm.update_number(acme.id, n.id, "48221234567", NumberRoute::Extension("1999")).await;
        assert_eq!(unknown.unwrap_err().code(), "err-extension-unknown", "{b}");
        // A group a number rings cannot go; once the number is changed, it can.
        let in_use = crm.delete_ring_group(acme.id, g.id).await.unwrap_err();
        assert_eq!(in_use.code(), "err-group-in-use", "{b}");
        crm.update_ring_group(acme.id, g.id, "Sales", &["1002".into()], false, 15).await.unwrap();
        assert_eq!(crm.ring_group(acme.id, g.id).await.unwrap().members, "1002", "{b}");
        crm.update_number(acme.id, n.id, "48221234567", NumberRoute::Extension("1002")).await.unwrap();
        crm.delete_ring_group(acme.id, g.id).await.unwrap();
        crm.delete_number(acme.id, n.id).await.unwrap();
        assert!(crm.route_inbound(&tenant, "48221234567").await.is_none(), "{b}: the number is gone");

        // A dial rule typed as 00 (deny) meant 0 (allow).
        crm.add_dial_rule(acme.id, "00", false).await.unwrap();
        crm.update_dial_rule(acme.id, "00", "0", true).await.unwrap();
        assert_eq!(crm.dial_rules(acme.id).await.unwrap(), [("0".to_string(), true)], "{b}");
        crm.add_dial_rule(acme.id, "+48", true).await.unwrap();
        let taken = crm.update_dial_rule(acme.id, "+48", "0", false).await.unwrap_err();
        assert_eq!(taken.code(), "err-dial-prefix-taken", "{b}");
        assert_eq!(
            crm.update_dial_rule(acme.id, "+48", "4x", true).await.unwrap_err().code(),
            "err-dial-prefix",
            "{b}"
        );
        crm.delete_dial_rule(acme.id, "+48").await.unwrap();
        assert_eq!(crm.dial_rules(acme.id).await.unwrap().len(), 1, "{b}");

        // A queue a number rings, or another queue sends its callers to, stays until that changes;
        // removed, its name is free again.
        let q1 = crm.save_queue(&mia, None, QueueForm { name: "Sales".into(), ..Default::default() }).await.unwrap();
        let to_q1 = QueueForm { name: "Overflow".into(), exit: QueueExit::Queue(q1.id), ..Default::default() };
        let q2 = crm.save_queue(&mia, None, to_q1).await.unwrap();
        let rings_q1 = crm.add_number(acme.id, "48220000009", NumberRoute::Queue(q1.id)).await.unwrap();
        assert_eq!(crm.delete_queue(&mia, q1.id).await.unwrap_err().code(), "err-queue-in-use", "{b}");
        crm.delete_number(acme.id, rings_q1.id).await.unwrap();
        assert_eq!(crm.delete_queue(&mia, q1.id).await.unwrap_err().code(), "err-queue-in-use", "{b}: q2's exit");
        crm.delete_queue(&mia, q2.id).await.unwrap();
        crm.delete_queue(&mia, q1.id).await.unwrap();
        assert!(matches!(crm.delete_queue(&mia, q1.id).await, Err(CrmError::NotFound)), "{b}: gone");
        let again = crm.save_queue(&mia, None, QueueForm { name: "Sales".into(), ..Default::default() }).await;
        assert!(again.is_ok(), "{b}: the name is free again");
        let q_gone = crm.add_number(acme.id, "48220000009", NumberRoute::Queue(q1.id)).await.unwrap_err();
        assert_eq!(q_gone.code(), "err-queue-unknown", "{b}: a removed queue rings nobody");

        crm.delete_trunk(acme.id, t.id).await.unwrap();
        assert!(crm.trunks_for_source("192.0.2.10".parse().unwrap()).await.is_empty(), "{b}: the trunk is gone");
    }
}
