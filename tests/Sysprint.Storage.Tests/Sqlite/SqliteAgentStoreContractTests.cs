using Sysprint.Storage.Contract;
using Sysprint.Storage.Sqlite;

namespace Sysprint.Storage.Tests.Sqlite;

/// <summary>The agent store's part of the contract, run against a new SQLite file per test.</summary>
public sealed class SqliteAgentStoreContractTests : AgentStoreContract
{
    private readonly TempStore _temp = new();

    protected override IAgentStore OpenAgentStore() =>
        new SqliteBackend().OpenAgent(StoreAddress.Parse(_temp.Path), new StoreOpenOptions { CreateIfMissing = true });

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _temp.Dispose();
        }

        base.Dispose(disposing);
    }
}
