//! Tables handed to Python through the Arrow C stream interface.
//!
//! arrow-rs's own `pyarrow` bindings (crate `arrow-pyarrow` 60) are built on pyo3 0.29, not the
//! 0.30 this package uses, so the hand-over is done here with `arrow_array::ffi_stream`: a table
//! becomes an [`ArrowStream`], an object with the standard `__arrow_c_stream__` method of the
//! [Arrow PyCapsule interface]. `pyarrow.table(stream)` (or Polars, DuckDB, …) takes the record
//! batches over without copying their buffers: the only copy is the one from the simulator's row
//! structs into Arrow columns, which writing Parquet makes too.
//!
//! [Arrow PyCapsule interface]: https://arrow.apache.org/docs/format/CDataInterface/PyCapsuleInterface.html

use arrow_array::ffi_stream::FFI_ArrowArrayStream;
use arrow_array::{RecordBatch, RecordBatchIterator, RecordBatchReader};
use arrow_schema::SchemaRef;
use cascade_io::{RunTag, Table};
use pyo3::prelude::*;
use pyo3::types::PyCapsule;

use crate::error::CascadeError;

/// One table as Arrow record batches, exported once through `__arrow_c_stream__`.
///
/// Python code does not build these: `cascade.run` and `cascade.load_run` turn them into
/// `pyarrow.Table`s at once.
#[pyclass(module = "cascade._native", name = "ArrowStream")]
pub struct ArrowStream {
    name: String,
    schema: SchemaRef,
    batches: Option<Vec<RecordBatch>>,
}

impl ArrowStream {
    /// Table `R`'s rows as a stream named after the table (`series`, `liquidations`, `adl`),
    /// with the run's identity columns (`run_id`, `seed`, `scenario_hash`, `time_utc`) as the
    /// run directory's files have them.
    pub fn of<R: Table>(rows: &[R], tag: &RunTag) -> anyhow::Result<Self> {
        let batches = cascade_io::record_batches_tagged(rows, Some(tag))?;
        Ok(Self {
            name: R::NAME.to_string(),
            schema: std::sync::Arc::new(cascade_io::write::arrow_schema_tagged::<R>(Some(tag))),
            batches: Some(batches),
        })
    }

    /// The table's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

#[pymethods]
impl ArrowStream {
    /// Exports the batches as an `ArrowArrayStream` in a PyCapsule named `arrow_array_stream`
    /// (the Arrow PyCapsule interface). The batches move into the stream: a second call raises.
    /// `requested_schema` is accepted and ignored (the table's own schema is always given).
    #[pyo3(signature = (requested_schema=None))]
    fn __arrow_c_stream__<'py>(
        &mut self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let _ = requested_schema;
        let batches = self.batches.take().ok_or_else(|| {
            CascadeError::new_err(format!(
                "table `{}` was already exported (a stream is read once)",
                self.name
            ))
        })?;
        let reader =
            RecordBatchIterator::new(batches.into_iter().map(Ok), std::sync::Arc::clone(&self.schema));
        let reader: Box<dyn RecordBatchReader + Send> = Box::new(reader);
        let stream = FFI_ArrowArrayStream::new(reader);
        // The consumer moves the stream out (its `release` becomes null); dropping what is left
        // releases it only if nobody took it.
        PyCapsule::new_with_value_and_destructor(py, stream, c"arrow_array_stream", |stream, _| drop(stream))
    }

    fn __repr__(&self) -> String {
        let rows: usize = self.batches.as_ref().map_or(0, |b| b.iter().map(RecordBatch::num_rows).sum());
        match self.batches {
            Some(_) => format!("<cascade ArrowStream `{}`: {rows} rows>", self.name),
            None => format!("<cascade ArrowStream `{}`: exported>", self.name),
        }
    }
}
