namespace Sysprint.Fleet.Tests.Support;

/// <summary>Per test: a fresh database and a server over it (xunit makes one test class instance per test).</summary>
public abstract class FleetFixture : IAsyncLifetime
{
    private readonly List<IAsyncDisposable> _owned = [];

    internal TestDatabase Db { get; private set; } = null!;

    internal TestServer Server { get; private set; } = null!;

    public virtual async ValueTask InitializeAsync()
    {
        Db = await TestDatabase.CreateAsync();
        Server = await StartServerAsync();
    }

    /// <summary>Another server instance over the same database (as behind a load balancer).</summary>
    internal async Task<TestServer> StartServerAsync(Func<Sysprint.Server.ServeOptions, Sysprint.Server.ServeOptions>? configure = null, HttpMessageHandler? handler = null)
    {
        TestServer server = await TestServer.StartAsync(Db, configure, handler);
        _owned.Add(server);
        return server;
    }

    public virtual async ValueTask DisposeAsync()
    {
        for (int i = _owned.Count - 1; i >= 0; i--)
        {
            await _owned[i].DisposeAsync();
        }

        if (Db is not null)
        {
            await Db.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }
}
