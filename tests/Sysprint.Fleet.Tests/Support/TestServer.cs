using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Sysprint.Server;
using Sysprint.Storage.Postgres;

namespace Sysprint.Fleet.Tests.Support;

/// <summary>A real <see cref="FleetServer"/> on a loopback port over this test's PostgreSQL database, with an admin token and HTTP helpers.</summary>
internal sealed class TestServer : IAsyncDisposable
{
    public const string AdminToken = "test-admin-token-0123456789";

    private TestServer(PostgresFleetStore store, FleetServer server, HttpClient http)
    {
        Store = store;
        Server = server;
        Http = http;
    }

    public PostgresFleetStore Store { get; }

    public FleetServer Server { get; }

    public HttpClient Http { get; }

    public Uri Address => Server.Address;

    public static async Task<TestServer> StartAsync(TestDatabase db, Func<ServeOptions, ServeOptions>? configure = null, HttpMessageHandler? handler = null)
    {
        PostgresFleetStore store = await PostgresFleetStore.OpenAsync(db.Url, TestContext.Current.CancellationToken);
        var options = new ServeOptions
        {
            Listen = new IPEndPoint(IPAddress.Loopback, 0),
            AdminTokenHash = SHA256.HashData(Encoding.UTF8.GetBytes(AdminToken)),
        };
        FleetServer server = await FleetServer.StartAsync(configure?.Invoke(options) ?? options, store, cancellationToken: TestContext.Current.CancellationToken);
        var http = new HttpClient(handler ?? new HttpClientHandler()) { BaseAddress = server.Address, Timeout = TimeSpan.FromSeconds(60) };
        return new TestServer(store, server, http);
    }

    /// <summary>Makes an enrollment secret through the admin API.</summary>
    public async Task<string> EnrollSecretAsync(string group = "default", long? expiresS = null)
    {
        using HttpResponseMessage response = await SendAsync(HttpMethod.Post, "/api/enroll-tokens", $$"""{"group":"{{group}}","expires_s":{{(expiresS is { } e ? e.ToString(System.Globalization.CultureInfo.InvariantCulture) : "null")}}}""", AdminToken);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await JsonAsync(response)).GetProperty("secret").GetString()!;
    }

    /// <summary>Enrolls a host and returns its credential.</summary>
    public async Task<string> EnrollAsync(string host, string? secret = null)
    {
        secret ??= await EnrollSecretAsync();
        using HttpResponseMessage response = await SendAsync(HttpMethod.Post, "/api/agent/enroll", $$"""{"enroll_secret":"{{secret}}","host":"{{host}}"}""");
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await JsonAsync(response)).GetProperty("credential").GetString()!;
    }

    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? json = null, string? bearer = null, string contentType = "application/json")
    {
        using var request = new HttpRequestMessage(method, path);
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        }

        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        return await Http.SendAsync(request, TestContext.Current.CancellationToken);
    }

    public static async Task<JsonElement> JsonAsync(HttpResponseMessage response)
    {
        string text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>The error message of a refused request.</summary>
    public static async Task<string> ErrorAsync(HttpResponseMessage response) => (await JsonAsync(response)).GetProperty("error").GetString()!;

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Server.DisposeAsync();
        await Store.DisposeAsync();
    }
}
