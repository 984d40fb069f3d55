//! OPR chain sync and grading of the previous block (being written).
