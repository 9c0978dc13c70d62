"""Scale-out mode: webhook workers (`hocbac web`), one elected worker (`hocbac worker`), shared state in
Redis/PostgreSQL. See docs/scale.md."""
