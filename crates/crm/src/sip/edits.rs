//! Changing and removing what the organization's telephony is set up with: trunks, numbers,
//! ring groups and dial rules pass the same checks as when they were added; what something else
//! still leads to (a ring group a number rings) cannot be removed until that is changed. Every
//! change is in force for the next call (`routing_changed`).

use super::trunks::{NewTrunk, NumberRoute, checked_prefix};
use crate::{Crm, CrmError, FieldError, OrgId};
use store::entities::{dial_rule, phone_number, ring_group, trunk};
use store::sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, ModelTrait, PaginatorTrait, QueryFilter, Set};

impl Crm {
    async fn trunk_row(&self, org: OrgId, id: i64) -> Result<trunk::Model, CrmError> {
        trunk::Entity::find_by_id(id)
            .filter(trunk::Column::OrgId.eq(org.0))
            .one(self.db())
            .await?
            .ok_or(CrmError::NotFound)
    }

    pub async fn trunk(&self, org: OrgId, id: i64) -> Result<trunk::Model, CrmError> {
        self.trunk_row(org, id).await
    }

    /// Changes a trunk. An empty password keeps the one it has (pages never show it); an empty
    /// user name removes it.
    pub async fn update_trunk(&self, org: OrgId, id: i64, t: NewTrunk) -> Result<trunk::Model, CrmError> {
        let row = self.trunk_row(org, id).await?;
        let keeps_password = t.password.as_deref().is_none_or(str::is_empty);
        let (transport, inbound) = self.check_trunk(&t)?;
        let mut am: trunk::ActiveModel = row.into();
        am.name = Set(t.name.trim().into());
        am.host = Set(t.host.trim().into());
        am.port = Set(i32::from(t.port));
        am.transport = Set(transport);
        am.username = Set(t.username.map(|u| u.trim().to_string()).filter(|u| !u.is_empty()));
        if !keeps_password {
            am.password = Set(t.password);
        }
        am.inbound_addresses = Set(inbound.join(" "));
        am.register = Set(t.register);
        let m = am.update(self.db()).await?;
        self.routing_changed();
        Ok(m)
    }

    pub async fn delete_trunk(&self, org: OrgId, id: i64) -> Result<(), CrmError> {
        self.trunk_row(org, id).await?.delete(self.db()).await?;
        self.routing_changed();
        Ok(())
    }

    async fn number_row(&self, org: OrgId, id: i64) -> Result<phone_number::Model, CrmError> {
        phone_number::Entity::find_by_id(id)
            .filter(phone_number::Column::OrgId.eq(org.0))
            .one(self.db())
            .await?
            .ok_or(CrmError::NotFound)
    }

    pub async fn number(&self, org: OrgId, id: i64) -> Result<phone_number::Model, CrmError> {
        self.number_row(org, id).await
    }

    /// Changes a number's digits or where it rings.
    pub async fn update_number(
        &self,
        org: OrgId,
        id: i64,
        number: &str,
        route: NumberRoute<'_>,
    ) -> Result<phone_number::Model, CrmError> {
        let row = self.number_row(org, id).await?;
        let n = self.check_number(org, Some(id), number, route).await?;
        let mut am: phone_number::ActiveModel = row.into();
        am.number = Set(n.digits);
        am.route_extension = Set(n.extension);
        am.route_group_id = Set(n.group);
        am.route_queue_id = Set(n.queue);
        let m = am.update(self.db()).await?;
        self.routing_changed();
        Ok(m)
    }

    pub async fn delete_number(&self, org: OrgId, id: i64) -> Result<(), CrmError> {
        self.number_row(org, id).await?.delete(self.db()).await?;
        self.routing_changed();
        Ok(())
    }

    async fn group_row(&self, org: OrgId, id: i64) -> Result<ring_group::Model, CrmError> {
        ring_group::Entity::find_by_id(id)
            .filter(ring_group::Column::OrgId.eq(org.0))
            .one(self.db())
            .await?
            .ok_or(CrmError::NotFound)
    }

    pub async fn ring_group(&self, org: OrgId, id: i64) -> Result<ring_group::Model, CrmError> {
        self.group_row(org, id).await
    }

    pub async fn update_ring_group(
        &self,
        org: OrgId,
        id: i64,
        name: &str,
        members: &[String],
        parallel: bool,
        ring_seconds: u32,
    ) -> Result<ring_group::Model, CrmError> {
        let row = self.group_row(org, id).await?;
        self.check_ring_group(org, name, members, ring_seconds).await?;
        let mut am: ring_group::ActiveModel = row.into();
        am.name = Set(name.trim().into());
        am.members = Set(members.join(","));
        am.parallel = Set(parallel);
        am.ring_seconds = Set(i32::try_from(ring_seconds).unwrap_or(i32::MAX));
        let m = am.update(self.db()).await?;
        self.routing_changed();
        Ok(m)
    }

    /// Removes a ring group no number rings any more.
    pub async fn delete_ring_group(&self, org: OrgId, id: i64) -> Result<(), CrmError> {
        let row = self.group_row(org, id).await?;
        let used = phone_number::Entity::find()
            .filter(phone_number::Column::OrgId.eq(org.0))
            .filter(phone_number::Column::RouteGroupId.eq(id))
            .count(self.db())
            .await?;
        if used > 0 {
            return Err(CrmError::Conflict(FieldError { field: "group", code: "err-group-in-use" }));
        }
        row.delete(self.db()).await?;
        self.routing_changed();
        Ok(())
    }

    /// Changes the rule for `prefix` into one for `new_prefix` (which may be the same) that
    /// allows or refuses.
    pub async fn update_dial_rule(
        &self,
        org: OrgId,
        prefix: &str,
        new_prefix: &str,
        allow: bool,
    ) -> Result<(), CrmError> {
        let row = self.rule_row(org, prefix).await?;
        let p = checked_prefix(new_prefix)?;
        if p != row.prefix && self.rule_row(org, p).await.is_ok() {
            return Err(CrmError::Conflict(FieldError { field: "prefix", code: "err-dial-prefix-taken" }));
        }
        let mut am: dial_rule::ActiveModel = row.into();
        am.prefix = Set(p.to_string());
        am.allow = Set(allow);
        am.update(self.db()).await?;
        self.routing_changed();
        Ok(())
    }

    /// The organization's dial rules become exactly `rules`, each checked first (a bad or a
    /// repeated prefix changes nothing).
    pub async fn set_dial_rules(&self, org: OrgId, rules: &[(String, bool)]) -> Result<(), CrmError> {
        let mut checked: Vec<(String, bool)> = Vec::with_capacity(rules.len());
        for (prefix, allow) in rules {
            let p = checked_prefix(prefix)?;
            if checked.iter().any(|(q, _)| q == p) {
                return Err(CrmError::Conflict(FieldError { field: "prefix", code: "err-dial-prefix-taken" }));
            }
            checked.push((p.to_string(), *allow));
        }
        self.replace_dial_rules(org, &checked).await
    }

    pub async fn delete_dial_rule(&self, org: OrgId, prefix: &str) -> Result<(), CrmError> {
        self.rule_row(org, prefix).await?.delete(self.db()).await?;
        self.routing_changed();
        Ok(())
    }

    async fn rule_row(&self, org: OrgId, prefix: &str) -> Result<dial_rule::Model, CrmError> {
        dial_rule::Entity::find()
            .filter(dial_rule::Column::OrgId.eq(org.0))
            .filter(dial_rule::Column::Prefix.eq(prefix.trim()))
            .one(self.db())
            .await?
            .ok_or(CrmError::NotFound)
    }
}
