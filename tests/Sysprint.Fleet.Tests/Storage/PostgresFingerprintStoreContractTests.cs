using Sysprint.Fleet.Tests.Support;
using Sysprint.Storage;
using Sysprint.Storage.Contract;
using Sysprint.Storage.Postgres;

namespace Sysprint.Fleet.Tests.Storage;

/// <summary>
/// The store contract's suite (the same facts SQLite passes in Sysprint.Storage.Tests), run against
/// a new PostgreSQL database per test. Skips without <c>SYSPRINT_TEST_PG</c>, fails without it under CI.
/// </summary>
public sealed class PostgresFingerprintStoreContractTests : FingerprintStoreContract
{
    private TestDatabase? _db;

    protected override IFingerprintStore OpenStore()
    {
        _db ??= TestDatabase.CreateAsync().GetAwaiter().GetResult();
        return new PostgresBackend().Open(StoreAddress.Parse(_db.Url), new StoreOpenOptions { CreateIfMissing = true });
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && _db is not null)
        {
            _db.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }

        base.Dispose(disposing);
    }
}
