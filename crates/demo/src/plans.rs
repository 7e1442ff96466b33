//! Crisis plans.

use crate::DemoParams;
use crate::model::{Contact, CrisisPlan, Person};
use crate::sample::DemoRng;

pub(crate) fn generate(
    _rng: &mut DemoRng,
    _params: &DemoParams,
    _contacts: &[Contact],
    _people: &[Person],
) -> Vec<CrisisPlan> {
    Vec::new()
}
