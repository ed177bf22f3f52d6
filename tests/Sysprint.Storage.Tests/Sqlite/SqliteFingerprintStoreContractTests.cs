using Sysprint.Storage.Contract;
using Sysprint.Storage.Sqlite;

namespace Sysprint.Storage.Tests.Sqlite;

/// <summary>The store contract's suite, run against a new SQLite file per test.</summary>
public sealed class SqliteFingerprintStoreContractTests : FingerprintStoreContract
{
    private readonly TempStore _temp = new();

    protected override IFingerprintStore OpenStore() =>
        new SqliteBackend().Open(StoreAddress.Parse(_temp.Path), new StoreOpenOptions { CreateIfMissing = true });

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _temp.Dispose();
        }

        base.Dispose(disposing);
    }
}
