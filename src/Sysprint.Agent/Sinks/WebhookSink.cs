using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using Sysprint.Diagnostics;
using Sysprint.Storage;

namespace Sysprint.Agent.Sinks;

/// <summary>
/// POSTs each alert's JSON to a URL (<c>--webhook URL</c>, <c>Content-Type: application/json</c>),
/// as Falco's <c>http_output</c> does. Any 2xx answer is a delivery; anything else, a refused
/// connection or no answer within <see cref="Timeout"/> is a failure retried later.
/// </summary>
public sealed class WebhookSink : IAlertSink
{
    private static readonly MediaTypeHeaderValue s_json = new("application/json") { CharSet = "utf-8" };

    private readonly Uri _url;
    private readonly HttpClient _client;

    public WebhookSink(string url, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (!Uri.TryCreate(url, UriKind.Absolute, out Uri? parsed) || (parsed.Scheme != Uri.UriSchemeHttp && parsed.Scheme != Uri.UriSchemeHttps))
        {
            throw new SysprintException(ErrorKind.Usage, $"--webhook '{Printable.Escape(url)}': expected an http:// or https:// URL");
        }

        _url = parsed;
        Timeout = timeout ?? TimeSpan.FromSeconds(10);
        _client = new HttpClient { Timeout = Timeout };
        _client.DefaultRequestHeaders.UserAgent.ParseAdd("sysprint-agent");
        Name = "webhook:" + parsed.GetLeftPart(UriPartial.Query);
    }

    public string Name { get; }

    public TimeSpan Timeout { get; }

    public async Task DeliverAsync(OutboxAlert alert, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(alert);
        using var content = new ByteArrayContent(Encoding.UTF8.GetBytes(alert.Json));
        content.Headers.ContentType = s_json;
        using var request = new HttpRequestMessage(HttpMethod.Post, _url) { Content = content };
        // A delivery repeated after a crash carries the same key: receivers that honour it drop the copy.
        request.Headers.Add("Idempotency-Key", alert.Id);
        request.Headers.Add("X-Sysprint-Alert-Id", alert.Id);
        using HttpResponseMessage response = await _client.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException(string.Create(CultureInfo.InvariantCulture,
                $"{_url.GetLeftPart(UriPartial.Path)} answered {(int)response.StatusCode} {response.ReasonPhrase}"));
        }
    }

    public ValueTask DisposeAsync()
    {
        _client.Dispose();
        return ValueTask.CompletedTask;
    }
}
