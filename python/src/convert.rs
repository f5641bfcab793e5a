//! Python values to TOML: a scenario given as a dict, and override values.

use anyhow::{anyhow, bail};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};

/// `obj` as a TOML value; `at` names it in errors (`venues[0].insurance_fund`).
///
/// `bool`, `int` (64-bit), `float`, `str`, `dict` (string keys), `list`/`tuple`, and
/// `decimal.Decimal` (written as its exact decimal string, the form the scenario's decimal fields
/// take). `None` has no TOML form: leave the key out.
///
/// # Errors
/// A value of another type, an integer outside `i64`, a non-string key, naming `at`.
pub fn to_toml(obj: &Bound<'_, PyAny>, at: &str) -> anyhow::Result<toml::Value> {
    let here = || if at.is_empty() { "the scenario".to_string() } else { format!("`{at}`") };
    if obj.is_none() {
        bail!("{}: None has no TOML form (leave the key out for the default)", here());
    }
    if obj.is_instance_of::<PyBool>() {
        return Ok(toml::Value::Boolean(obj.extract::<bool>()?));
    }
    if obj.is_instance_of::<PyInt>() {
        let v: i64 = obj
            .extract()
            .map_err(|_| anyhow!("{}: integer {} does not fit in 64 bits (TOML's integers)", here(), obj))?;
        return Ok(toml::Value::Integer(v));
    }
    if obj.is_instance_of::<PyFloat>() {
        return Ok(toml::Value::Float(obj.extract::<f64>()?));
    }
    if obj.is_instance_of::<PyString>() {
        return Ok(toml::Value::String(obj.extract::<String>()?));
    }
    if let Ok(d) = obj.cast::<PyDict>() {
        let mut t = toml::Table::new();
        for (k, v) in d.iter() {
            let key: String = k.extract().map_err(|_| {
                anyhow!("{}: key {} is not a string", here(), k.repr().map_or("?".into(), |r| r.to_string()))
            })?;
            let path = if at.is_empty() { key.clone() } else { format!("{at}.{key}") };
            // A key set to None is left out, as if absent (its default applies).
            if v.is_none() {
                continue;
            }
            t.insert(key, to_toml(&v, &path)?);
        }
        return Ok(toml::Value::Table(t));
    }
    if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        let mut a = Vec::new();
        for (i, v) in obj.try_iter()?.enumerate() {
            a.push(to_toml(&v?, &format!("{at}[{i}]"))?);
        }
        return Ok(toml::Value::Array(a));
    }
    let ty = obj.get_type();
    let module: String = ty.module().map(|m| m.to_string()).unwrap_or_default();
    let name: String = ty.name().map(|n| n.to_string()).unwrap_or_default();
    if module == "decimal" && name == "Decimal" {
        let text = obj.str()?.to_string();
        return Ok(toml::Value::String(text));
    }
    bail!(
        "{}: a `{module}.{name}` has no TOML form (use bool, int, float, str, Decimal, list or dict)",
        here()
    )
}

/// A dict as a TOML document (the scenario file it stands for).
///
/// # Errors
/// As [`to_toml`]; a value that is not a table at the top.
pub fn dict_to_toml(obj: &Bound<'_, PyAny>) -> anyhow::Result<String> {
    match to_toml(obj, "")? {
        toml::Value::Table(t) => Ok(toml::to_string(&t)?),
        _ => bail!("a scenario given as a value must be a dict (the TOML file's top-level table)"),
    }
}

/// One override value as the `VALUE` of `--set KEY=VALUE`: a `str` as it is (read like the
/// command line reads it: `"5e7"`, `"0.2"`, `"stress"`), anything else as its TOML literal.
///
/// # Errors
/// As [`to_toml`].
pub fn override_text(value: &Bound<'_, PyAny>, key: &str) -> anyhow::Result<String> {
    if value.is_instance_of::<PyString>() {
        return Ok(value.extract::<String>()?);
    }
    Ok(to_toml(value, key)?.to_string())
}
