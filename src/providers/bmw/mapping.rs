//! BMW CarData descriptors → VSS 6.0, as a table.
