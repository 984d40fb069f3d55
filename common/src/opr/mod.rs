//! OPR
