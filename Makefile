.PHONY: run test
# The whole system with demo data (embedded PostgreSQL and broker unless DATABASE_URL/REDIS_URL are set).
run:
	@scripts/run
# The whole test suite against the machine's PostgreSQL and Redis.
test:
	@scripts/test
