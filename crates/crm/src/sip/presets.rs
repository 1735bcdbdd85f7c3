//! The dial rules an organization starts with, by its country (its default country for phone
//! numbers): the country's own numbers — fixed, mobile, free and emergency — allowed;
//! premium-rate numbers and international calls refused. The longest matching prefix decides
//! (`trunks::dial_allowed`), so a preset is a few broad rules and the exceptions inside them.

use crate::contacts::phone::calling_code;
use crate::{Crm, CrmError, OrgId};

/// A preset's rules: (prefix, allowed).
pub fn dial_rule_preset(country: &str) -> Vec<(String, bool)> {
    let rule = |p: &str, allow: bool| (p.to_string(), allow);
    // International calls are refused by default, in both ways of dialling them.
    let mut rules = vec![rule("00", false), rule("+", false)];
    let cc = calling_code(country).unwrap_or("");
    // The country's own numbers dialled internationally: as national ones.
    let own = |national_premium: &[&str], rules: &mut Vec<(String, bool)>| {
        if cc.is_empty() {
            return;
        }
        for p in ["+", "00"] {
            rules.push((format!("{p}{cc}"), true));
            for premium in national_premium {
                rules.push((format!("{p}{cc}{premium}"), false));
            }
        }
    };
    match country.to_ascii_uppercase().as_str() {
        // No trunk prefix: subscriber numbers start 1-9; 70x is premium rate.
        "PL" => {
            rules.extend((1..=9).map(|d| rule(&d.to_string(), true)));
            rules.push(rule("70", false));
            own(&["70"], &mut rules);
        }
        // Trunk prefix 0; 01x are international carriers; 1-900/1-901 premium, 1-800/1-700
        // free and shared cost, 10x emergency.
        "IL" => {
            rules.extend([
                rule("0", true),
                rule("01", false),
                rule("1", true),
                rule("1900", false),
                rule("1901", false),
            ]);
            own(&["1900", "1901"], &mut rules);
        }
        // NANP: 1 + ten digits or ten digits; 1-900 and 1-976 premium; 011 international.
        "US" | "CA" => {
            rules.extend((2..=9).map(|d| rule(&d.to_string(), true)));
            rules.extend([rule("1", true), rule("1900", false), rule("1976", false), rule("011", false)]);
            rules.extend([rule("900", false), rule("976", false)]);
            own(&["900", "976"], &mut rules);
        }
        // 09 premium rate; 999 and 112 emergency.
        "GB" => {
            rules.extend([rule("0", true), rule("09", false), rule("999", true), rule("112", true)]);
            own(&["9"], &mut rules);
        }
        // 0900 premium, 0137 televoting; 110 and 112 emergency.
        "DE" => {
            rules.extend([
                rule("0", true),
                rule("0900", false),
                rule("0137", false),
                rule("110", true),
                rule("112", true),
            ]);
            own(&["900", "137"], &mut rules);
        }
        // Elsewhere: national numbers with the trunk prefix 0, and 112.
        _ => {
            rules.extend([rule("0", true), rule("112", true)]);
            own(&[], &mut rules);
        }
    }
    rules
}

impl Crm {
    /// Replaces the organization's dial rules by the preset of its country; returns them.
    pub async fn apply_dial_rule_preset(&self, org: OrgId) -> Result<Vec<(String, bool)>, CrmError> {
        let o = self.org(org).await?;
        let preset = dial_rule_preset(&o.default_country);
        self.replace_dial_rules(org, &preset).await?;
        Ok(preset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::trunks::dial_allowed;

    #[test]
    fn the_polish_preset_allows_the_country_and_refuses_premium_and_abroad() {
        let r = dial_rule_preset("PL");
        for ok in ["221234567", "600111222", "+48600111222", "0048221234567", "112", "800123456"] {
            assert!(dial_allowed(&r, ok), "{ok} allowed");
        }
        for no in ["700123456", "+48700123456", "0048701234567", "0012125550100", "+12125550100", "+972501234567"] {
            assert!(!dial_allowed(&r, no), "{no} refused");
        }
    }

    #[test]
    fn the_israeli_preset_refuses_international_carriers_and_premium() {
        let r = dial_rule_preset("IL");
        for ok in ["0501234567", "035551234", "+972501234567", "1800123456", "100"] {
            assert!(dial_allowed(&r, ok), "{ok} allowed");
        }
        for no in ["0121234567", "00441234567", "1900123456", "+9721900123456", "+48600111222"] {
            assert!(!dial_allowed(&r, no), "{no} refused");
        }
    }

    #[test]
    fn other_countries_get_national_numbers_and_emergency() {
        let r = dial_rule_preset("FR");
        assert!(dial_allowed(&r, "0612345678"));
        assert!(dial_allowed(&r, "+33612345678"));
        assert!(dial_allowed(&r, "112"));
        assert!(!dial_allowed(&r, "0044123456789"));
        let us = dial_rule_preset("US");
        assert!(dial_allowed(&us, "2125550100") && dial_allowed(&us, "12125550100") && dial_allowed(&us, "911"));
        assert!(!dial_allowed(&us, "19005550100") && !dial_allowed(&us, "01144123456"));
    }
}
