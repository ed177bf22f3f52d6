// Real processes, servers, PostgreSQL or data sets: the slow tests (excluded by --filter "Speed!=slow").
[assembly: Trait("Speed", "slow")]
