//! The model as written: no rewriting. For a model without a network it is already a convex
//! program; a network node left in it (a fixed-weight network, until `big_m` exists) is
//! reported by the translation as E0610.

use crate::conic::canon::ColumnMap;
use crate::convex::from_model::{self, NoLowering, Translation};
use crate::diag::{Diagnostic, SourceMap};
use crate::lower::{Exactness, Lowering, Measure, Recovered};
use crate::model::{Model, NetId};

/// The model translated as it is.
pub struct Direct {
    translation: Translation,
}

impl Direct {
    /// Translates `model` without a lowering.
    pub fn build(model: &Model, sources: &SourceMap) -> Result<Direct, Vec<Diagnostic>> {
        let translation = from_model::program(model, sources, &mut NoLowering)?;
        Ok(Direct { translation })
    }
}

impl Lowering for Direct {
    fn name(&self) -> &'static str {
        "direct"
    }

    fn exactness(&self) -> Exactness {
        Exactness::Exact
    }

    fn net(&self) -> Option<NetId> {
        None
    }

    fn translation(&self) -> &Translation {
        &self.translation
    }

    fn recover(
        &self,
        model: &Model,
        map: &ColumnMap,
        x: &[f64],
    ) -> Result<Recovered, Vec<Diagnostic>> {
        super::recover_values(model, &self.translation, map, x, false)
    }

    fn measure(&self, _: Option<f64>, _: &Recovered) -> Result<Option<Measure>, Vec<Diagnostic>> {
        // The program is the model: nothing to measure.
        Ok(None)
    }

    fn report_block(&self, _: &Recovered) -> Vec<String> {
        Vec::new()
    }

    fn stage_text(&self, _: &Model) -> String {
        "direct     the model is its own convex program: no rewriting\n".into()
    }

    fn stage_json(&self, _: &Model) -> serde_json::Value {
        serde_json::json!({ "lowering": "direct" })
    }
}
