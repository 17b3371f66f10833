//! Synthetic prefecture for the benchmarks (written later).
