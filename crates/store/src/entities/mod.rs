//! Table rows as sea-orm entities. Queries that cross no organization boundary live with the
//! services in `crm`, which always filter by organization.

pub mod api_token;
pub mod login_failure;
pub mod organization;
pub mod session;
pub mod user;
