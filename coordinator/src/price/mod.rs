//! Price polling (being written).
