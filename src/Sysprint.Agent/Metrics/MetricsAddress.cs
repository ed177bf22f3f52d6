using System.Globalization;
using System.Net;

namespace Sysprint.Agent.Metrics;

/// <summary>
/// Where <c>/metrics</c> is served: <c>HOST:PORT</c>, HOST an IP address (<c>127.0.0.1</c>,
/// <c>[::1]</c>, <c>0.0.0.0</c> for every interface) or <c>localhost</c>.
/// </summary>
public readonly record struct MetricsAddress(string Host, int Port)
{
    /// <summary>The host as the HTTP listener's prefix takes it: <c>+</c> (any) for 0.0.0.0 and ::.</summary>
    internal string ListenerHost => Host is "0.0.0.0" or "[::]" ? "+" : Host;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Host}:{Port}");

    /// <summary>Parses <c>HOST:PORT</c>; null with the reason in <paramref name="error"/> when it is not one.</summary>
    public static MetricsAddress? Parse(string text, out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        error = null;
        int colon = text.LastIndexOf(':');
        if (colon <= 0 || colon == text.Length - 1)
        {
            error = "expected HOST:PORT, e.g. 127.0.0.1:9464";
            return null;
        }

        string host = text[..colon];
        string port = text[(colon + 1)..];
        if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out int number) || number is < 1 or > 65535)
        {
            error = $"the port '{Diagnostics.Printable.Escape(port)}' is not a number from 1 to 65535";
            return null;
        }

        string bare = host.StartsWith('[') && host.EndsWith(']') ? host[1..^1] : host;
        if (host != "localhost" && (!IPAddress.TryParse(bare, out IPAddress? ip) || (ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6) != (bare != host)))
        {
            error = $"the host '{Diagnostics.Printable.Escape(host)}' is not an IP address (127.0.0.1, [::1], 0.0.0.0 for every interface) or localhost";
            return null;
        }

        return new MetricsAddress(host, number);
    }
}
