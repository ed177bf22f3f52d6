using Sysprint.Mapping;
using Sysprint.Storage;
using Sysprint.Storage.Sqlite;

namespace Sysprint.App.Tests;

/// <summary>A real SQLite store file in a temporary directory, with the x86_64 mapping, and logs written beside it.</summary>
public abstract class StoreFixture : IDisposable
{
    protected StoreFixture()
    {
        Dir = new TempDir("sysprint-app-tests-");
        Store = SqliteFingerprintStore.Open(Dir.PathOf("store.db"), createIfMissing: true);
        Table = SyscallTable.Builtin("x86_64");
        Store.SaveMapping(Table);
    }

    protected TempDir Dir { get; }

    protected IFingerprintStore Store { get; }

    protected SyscallTable Table { get; }

    /// <summary>The store's location as its messages name it.</summary>
    protected string Location => Store.Location;

    /// <summary>Writes <paramref name="text"/> as a log named <paramref name="name"/>; returns its path.</summary>
    protected string Log(string name, string text) => Dir.Write(name, text);

    public void Dispose()
    {
        Store.Dispose();
        Dir.Dispose();
        GC.SuppressFinalize(this);
    }
}
