"""Which file column feeds each shop field: default header aliases, overridden per tenant.

Headers are matched ignoring case, accents and punctuation, because the same ERP exports
"Código", "CODIGO" or "Cod. Articulo" depending on its version and language settings.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence

from erp_adapters.errors import AdapterConfigError


def _document_aliases(*numbers: str, **extra: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """A document export has one row per line: the document's fields repeat on each line."""
    return {
        "number": (*numbers, "number", "numero", "num", "documento", "serie_numero"),
        "customer_code": ("customer_code", "codigo_cliente", "cod_cliente", "cliente"),
        "order_ref": ("order_ref", "pedido", "num_pedido", "numero_pedido", "su_pedido", "referencia_pedido"),
        "issued_on": ("issued_on", "fecha", "date", "fecha_documento"),
        "total": ("total", "importe_total", "total_documento", "importe"),
        "line_no": ("line_no", "linea", "num_linea", "n_linea"),
        "sku": ("sku", "referencia", "ref", "articulo", "cod_articulo", "item_code"),
        "description": ("description", "descripcion", "concepto", "nombre_articulo"),
        "quantity": ("quantity", "cantidad", "unidades", "uds", "qty"),
        "unit_price": ("unit_price", "precio", "precio_unitario", "pvp", "price"),
        "lines": ("lines",),  # already folded: a quarantined document's stored payload
        **extra,
    }


# entity -> shop field -> header aliases, most specific first. Adding an entity is adding data here.
ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "products": {
        "sku": ("sku", "referencia", "ref", "codigo", "código", "cod_articulo", "item_code"),
        "name": ("name", "nombre", "descripcion", "descripción", "description"),
        "price": ("price", "precio", "pvp", "precio_venta", "list_price"),
        "template_code": ("template_code", "template", "modelo", "cod_modelo", "parent_sku"),
        "template_name": ("template_name", "nombre_modelo", "model_name"),
        "barcode": ("barcode", "ean", "ean13", "codigo_barras"),
        "color": ("color", "colour"),
        "size": ("size", "talla"),
    },
    "stock": {
        "sku": ("sku", "referencia", "ref", "codigo", "cod_articulo", "item_code"),
        "warehouse": ("warehouse", "almacen", "cod_almacen", "location"),
        "quantity": ("quantity", "stock", "cantidad", "existencias", "unidades", "qty"),
    },
    "sales_reps": {
        "code": ("code", "codigo_comercial", "cod_comercial", "comercial", "agente", "codigo"),
        "name": ("name", "nombre", "nombre_comercial"),
        "email": ("email", "e_mail", "correo", "correo_electronico"),
    },
    "customers": {
        "code": ("code", "customer_code", "codigo_cliente", "cod_cliente", "cliente", "codigo"),
        "tax_id": ("tax_id", "nif", "cif", "nif_cif", "dni", "vat", "vat_number"),
        "name": ("name", "razon_social", "nombre_fiscal", "nombre", "customer_name"),
        "email": ("email", "e_mail", "correo", "correo_electronico"),
        "phone": ("phone", "telefono", "tel", "movil"),
        "address": ("address", "direccion", "domicilio"),
        "city": ("city", "poblacion", "localidad", "ciudad", "municipio"),
        "province": ("province", "provincia"),
        "postal_code": ("postal_code", "codigo_postal", "cp", "zip"),
        "country": ("country", "pais", "cod_pais"),
    },
    "contacts": {
        "code": ("code", "contact_code", "codigo_contacto", "cod_contacto", "codigo"),
        "customer_code": ("customer_code", "codigo_cliente", "cod_cliente", "cliente"),
        "name": ("name", "nombre", "contacto", "persona_contacto"),
        "email": ("email", "e_mail", "correo", "correo_electronico"),
        "phone": ("phone", "telefono", "tel", "movil"),
    },
    "admin_users": {
        "email": ("email", "e_mail", "correo", "correo_electronico", "usuario", "login"),
        "name": ("name", "nombre", "nombre_usuario"),
    },
    "invoices": _document_aliases("invoice_number", "numero_factura", "num_factura", "factura"),
    "delivery_notes": _document_aliases("delivery_note_number", "numero_albaran", "num_albaran", "albaran"),
    "pending_orders": _document_aliases(
        "order_number",
        "numero_pedido",
        "num_pedido",
        # Here the document is the order: its order_ref is the shop's number for it, if any.
        order_ref=("order_ref", "pedido_tienda", "pedido_web", "su_pedido", "referencia_cliente"),
        status=("status", "estado", "situacion"),
    ),
}

_SEPARATOR_RUNS = re.compile(r"[\s._\-]+")


def normalize_header(name: str) -> str:
    """The form headers and aliases are compared in: "Cód. Artículo" -> "cod_articulo"."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _SEPARATOR_RUNS.sub("_", bare).strip("_")


def resolve_fields(entity: str, columns: Sequence[str], overrides: Mapping[str, str]) -> dict[str, str]:
    """Shop field -> column of ``columns`` for every field found; the caller decides what is required.

    A tenant override wins over the aliases, and the column it claims is not offered to the
    aliases of other fields. An override naming a column the file lacks is a set-up error.
    """
    fields = {field: _override_column(field, column, columns) for field, column in overrides.items()}
    claimed = set(fields.values())
    by_normalized: dict[str, str] = {}
    for column in columns:
        if column not in claimed:
            by_normalized.setdefault(normalize_header(column), column)
    for field, aliases in ALIASES.get(entity, {}).items():
        if field in fields:
            continue
        found = next((by_normalized[alias] for alias in map(normalize_header, aliases) if alias in by_normalized), None)
        if found is not None:
            fields[field] = found
    return fields


def _override_column(field: str, column: str, columns: Sequence[str]) -> str:
    if column in columns:
        return column
    wanted = normalize_header(column)
    for candidate in columns:
        if normalize_header(candidate) == wanted:
            return candidate
    raise AdapterConfigError(
        f"mapping for field '{field}' names column '{column}', which is not in the file (columns: {', '.join(columns)})"
    )
