//! Crisis plans written with the person, shared section by section only as they agreed.

use crate::AppError;
use crate::demo::DemoIds;
use concordat_demo::DemoRegion;
use concordat_store::Tx;

/// Loads the demo region's crisis plans and consent decisions (built by the crisis plans work).
pub(crate) async fn load_demo(
    _tx: &mut Tx,
    _region: &DemoRegion,
    _ids: &DemoIds,
) -> Result<(), AppError> {
    Ok(())
}
