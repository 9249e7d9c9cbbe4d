// glossa serve: annotate mode (the page side). See src/serve/annotate.rs.
