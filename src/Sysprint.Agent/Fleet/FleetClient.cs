using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Sysprint.Diagnostics;
using Sysprint.Fleet;
using Sysprint.Storage;

namespace Sysprint.Agent.Fleet;

/// <summary>
/// The agent's side of <c>sysprint serve</c>'s API: enroll, heartbeat, alerts. Over HTTPS it
/// verifies the server's certificate against the system's roots, or only against the pinned CA
/// file (<c>server_ca</c>) when one is given. A refusal (4xx) throws <see cref="FleetRefusedException"/>
/// with the server's message; a network failure or 5xx throws <see cref="HttpRequestException"/>.
/// </summary>
public sealed class FleetClient : IDisposable
{
    private static readonly MediaTypeHeaderValue s_json = new("application/json") { CharSet = "utf-8" };

    private readonly HttpClient _http;
    private readonly HttpClient _poll;
    private readonly TimeSpan _timeout;

    public FleetClient(string server, string? caFile, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(server);
        Server = ParseServer(server);
        var handler = new SocketsHttpHandler { ConnectTimeout = timeout, PooledConnectionLifetime = TimeSpan.FromMinutes(5) };
        CaFile = caFile is null ? null : Path.GetFullPath(caFile);
        if (caFile is not null)
        {
            X509Certificate2Collection roots = LoadCa(caFile);
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
            {
                if (certificate is null || (errors & (SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateNotAvailable)) != 0)
                {
                    return false;
                }

                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.AddRange(roots);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return chain.Build(certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
            };
        }

        _http = new HttpClient(handler) { BaseAddress = Server, Timeout = timeout };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("sysprint-agent");

        // Long-polls wait longer than a request may take: their own client over the same connections.
        _poll = new HttpClient(handler, disposeHandler: false) { BaseAddress = Server, Timeout = Timeout.InfiniteTimeSpan };
        _poll.DefaultRequestHeaders.UserAgent.ParseAdd("sysprint-agent");
        _timeout = timeout;
    }

    public Uri Server { get; }

    /// <summary>The CA certificate the server's must chain to (full path), or null for the system's roots.</summary>
    public string? CaFile { get; }

    /// <summary>Exchanges the enrollment secret for this host's credential.</summary>
    public async Task<FleetCredential> EnrollAsync(string secret, string host, CancellationToken cancellationToken)
    {
        string body = JsonSerializer.Serialize(new Dictionary<string, string> { ["enroll_secret"] = secret, ["host"] = host },
            FleetJsonContext.Default.DictionaryStringString);
        using JsonDocument answer = await PostAsync("api/agent/enroll", body, null, cancellationToken).ConfigureAwait(false);
        JsonElement root = answer.RootElement;
        return new FleetCredential
        {
            Server = Server.ToString(),
            Host = root.GetProperty("host").GetString()!,
            Group = root.GetProperty("group").GetString()!,
            Credential = root.GetProperty("credential").GetString()!,
            HeartbeatIntervalSeconds = root.GetProperty("heartbeat_interval_s").GetInt32(),
            ServerCa = CaFile,
        };
    }

    /// <summary>Sends a heartbeat; returns the interval the server asks for.</summary>
    public async Task<TimeSpan> HeartbeatAsync(string credential, FleetHeartbeat heartbeat, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(heartbeat);
        string body = FleetJson.ToText(json =>
        {
            json.WriteStartObject();
            json.WriteString("version", heartbeat.Version);
            json.WriteNumber("lag_bytes", heartbeat.LagBytes);
            json.WriteNumber("files", heartbeat.Files);
            json.WriteStartObject("pending");
            foreach (var (sink, count) in heartbeat.Pending)
            {
                json.WriteNumber(sink, count);
            }

            json.WriteEndObject();
            if (heartbeat.LastError is null)
            {
                json.WriteNull("last_error");
            }
            else
            {
                json.WriteString("last_error", heartbeat.LastError);
            }

            if (heartbeat.Vms is not null)
            {
                FleetJson.WriteVms(json, heartbeat.Vms);
                json.WriteNumber("vms_total", heartbeat.VmsTotal ?? heartbeat.Vms.Count);
            }

            json.WriteEndObject();
        });
        using JsonDocument answer = await PostAsync("api/agent/heartbeat", body, credential, cancellationToken).ConfigureAwait(false);
        return TimeSpan.FromSeconds(Math.Max(1, answer.RootElement.GetProperty("heartbeat_interval_s").GetInt32()));
    }

    /// <summary>Sends alerts as the agent rendered them; returns how many the server had not stored before.</summary>
    public async Task<int> SendAlertsAsync(string credential, IReadOnlyList<OutboxAlert> alerts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(alerts);
        var body = new StringBuilder("{\"alerts\":[");
        for (int i = 0; i < alerts.Count; i++)
        {
            body.Append(i == 0 ? "" : ",").Append(alerts[i].Json);
        }

        body.Append("]}");
        using JsonDocument answer = await PostAsync("api/agent/alerts", body.ToString(), credential, cancellationToken).ConfigureAwait(false);
        return answer.RootElement.GetProperty("stored").GetInt32();
    }

    /// <summary>
    /// Uploads what one finished log taught to a learning window (<c>POST /api/agent/learn</c>, the
    /// body as <see cref="App.Fleet.LogLesson.Write"/> makes it); true when the server had not staged
    /// that log before.
    /// </summary>
    public async Task<bool> LearnAsync(string credential, string body, CancellationToken cancellationToken)
    {
        using JsonDocument answer = await PostAsync("api/agent/learn", body, credential, cancellationToken).ConfigureAwait(false);
        return answer.RootElement.GetProperty("stored").GetBoolean();
    }

    /// <summary>
    /// Asks for the group's profiles (<c>GET /api/agent/profiles</c>): with <paramref name="etag"/>
    /// (the revision the agent has), waits up to <paramref name="wait"/> for a central change.
    /// Returns the new ETag and the answer's JSON, or null when nothing changed (304).
    /// </summary>
    public async Task<(string ETag, JsonDocument Profiles)?> GetProfilesAsync(string credential, string? etag, TimeSpan wait, CancellationToken cancellationToken)
    {
        string path = string.Create(CultureInfo.InvariantCulture, $"api/agent/profiles?wait={(int)wait.TotalSeconds}");
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", credential);
        if (etag is not null)
        {
            request.Headers.TryAddWithoutValidation("If-None-Match", etag);
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(wait + _timeout);
        using HttpResponseMessage response = await _poll.SendAsync(request, deadline.Token).ConfigureAwait(false);
        if (response.StatusCode == System.Net.HttpStatusCode.NotModified)
        {
            return null;
        }

        string text = await response.Content.ReadAsStringAsync(deadline.Token).ConfigureAwait(false);
        int status = (int)response.StatusCode;
        if (!response.IsSuccessStatusCode)
        {
            string said = string.Create(CultureInfo.InvariantCulture, $"{Server}{path} answered {status}: {Printable.Escape(ErrorOf(text) ?? response.ReasonPhrase ?? "")}");
            throw status is 429 or >= 500 ? new HttpRequestException(said) : new FleetRefusedException(status, said);
        }

        return (response.Headers.ETag?.Tag ?? "", JsonDocument.Parse(text));
    }

    public void Dispose()
    {
        _poll.Dispose();
        _http.Dispose();
    }

    private async Task<JsonDocument> PostAsync(string path, string json, string? credential, CancellationToken cancellationToken)
    {
        using var content = new ByteArrayContent(Encoding.UTF8.GetBytes(json));
        content.Headers.ContentType = s_json;
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
        if (credential is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", credential);
        }

        using HttpResponseMessage response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        string text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        int status = (int)response.StatusCode;
        if (response.IsSuccessStatusCode)
        {
            return JsonDocument.Parse(text);
        }

        string message = ErrorOf(text) ?? response.ReasonPhrase ?? "";
        string said = string.Create(CultureInfo.InvariantCulture, $"{Server}{path} answered {status}: {Printable.Escape(message)}");
        // Throttled, too slow a body for the server (408: Kestrel's minimum data rate under load) or
        // a failing server: retry later. Any other refusal is the server's final word.
        throw status is 408 or 429 or >= 500 ? new HttpRequestException(said) : new FleetRefusedException(status, said);
    }

    private static string? ErrorOf(string text)
    {
        try
        {
            using JsonDocument document = JsonDocument.Parse(text);
            return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("error", out JsonElement e)
                ? e.GetString()
                : null;
        }
        catch (JsonException)
        {
            return text.Length > 200 ? text[..200] : text;
        }
    }

    private static Uri ParseServer(string server)
    {
        if (!Uri.TryCreate(server, UriKind.Absolute, out Uri? url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps)
            || url.Query.Length > 0 || url.Fragment.Length > 0)
        {
            throw new SysprintException(ErrorKind.Usage, $"--server '{Printable.Escape(server)}': expected an http:// or https:// URL, e.g. https://fleet.example:8443");
        }

        // Relative API paths resolve under the server's own path.
        return url.AbsolutePath.EndsWith('/') ? url : new Uri(url + "/");
    }

    private static X509Certificate2Collection LoadCa(string path)
    {
        var roots = new X509Certificate2Collection();
        try
        {
            roots.ImportFromPemFile(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SysprintException(ErrorKind.InputMissing, $"{path}: cannot read the server's CA file: {e.Message}", e);
        }
        catch (System.Security.Cryptography.CryptographicException e)
        {
            throw new SysprintException(ErrorKind.MalformedInput, $"{path}: not a PEM certificate file: {e.Message}", e);
        }

        return roots.Count > 0 ? roots : throw new SysprintException(ErrorKind.MalformedInput, $"{path}: no certificate in the server's CA file");
    }
}
