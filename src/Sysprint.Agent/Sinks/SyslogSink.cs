using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Sysprint.Agent.Alerts;
using Sysprint.Diagnostics;
using Sysprint.Storage;

namespace Sysprint.Agent.Sinks;

/// <summary>
/// Sends alerts to syslog as RFC 5424 messages: <c>unix:/dev/log</c> (a local datagram socket),
/// <c>udp:HOST:PORT</c> or <c>tcp:HOST:PORT</c> (RFC 6587 octet counting). The syslog severity is
/// the alert's priority; the message is the alert's <c>output</c>, and structured data
/// <c>[sysprint@32473 uuid="..." rule="..." vm="..." log="..." line="..."]</c> carries the fields.
/// </summary>
/// <remarks>
/// Sample: <c>&lt;10&gt;1 2026-11-26T01:33:14.1234567Z dom0 sysprint 4242 anomaly [sysprint@32473 uuid="..." vm="web-01"] Unknown system-call transition ...</c>.
/// UDP gives no receipt: a datagram sent while nobody listens is lost without an error, so
/// at-least-once holds only up to the socket with <c>udp:</c>; use <c>unix:</c> or <c>tcp:</c>
/// when the collector must get every alert.
/// </remarks>
public sealed class SyslogSink : IAlertSink
{
    /// <summary>The private enterprise number reserved for documentation (RFC 5612).</summary>
    private const string StructuredDataId = "sysprint@32473";

    /// <summary>
    /// The longest message sent, in bytes. A longer one would never fit a UDP datagram (it failed
    /// forever and held back every later alert of the sink), and collectors cut long messages
    /// (rsyslog at 8 KiB by default) and may read the rest as a message of its own, whose text a
    /// log's path would then choose. Values are cut first, then the text; the full alert stays in
    /// the store and the other sinks under the same uuid.
    /// </summary>
    public const int MaxMessageBytes = 4096;

    /// <summary>Characters kept of one structured-data value (a path, a name) before it is cut with <c>...</c>.</summary>
    private const int MaxValueChars = 256;

    /// <summary>Bytes the structured data may take, so that the text keeps room.</summary>
    private const int MaxDataBytes = 2560;

    private readonly string _transport;
    private readonly string _address;
    private readonly int _port;
    private readonly int _facility;
    private Socket? _socket;

    private SyslogSink(string spec, string transport, string address, int port, int facility)
    {
        Name = "syslog:" + spec;
        _transport = transport;
        _address = address;
        _port = port;
        _facility = facility;
    }

    public string Name { get; }

    /// <summary>The facilities by name (RFC 5424 table 1).</summary>
    public static IReadOnlyDictionary<string, int> Facilities { get; } = new Dictionary<string, int>(StringComparer.Ordinal)
    {
        ["kern"] = 0, ["user"] = 1, ["mail"] = 2, ["daemon"] = 3, ["auth"] = 4, ["syslog"] = 5, ["lpr"] = 6,
        ["news"] = 7, ["uucp"] = 8, ["cron"] = 9, ["authpriv"] = 10, ["ftp"] = 11,
        ["local0"] = 16, ["local1"] = 17, ["local2"] = 18, ["local3"] = 19, ["local4"] = 20, ["local5"] = 21,
        ["local6"] = 22, ["local7"] = 23,
    };

    /// <summary>Parses <c>unix:PATH</c>, <c>udp:HOST:PORT</c> or <c>tcp:HOST:PORT</c>.</summary>
    /// <exception cref="SysprintException">The spec is none of these (exit 64).</exception>
    public static SyslogSink Parse(string spec, string facility = "user")
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (!Facilities.TryGetValue(facility, out int code))
        {
            throw new SysprintException(ErrorKind.Usage,
                $"unknown syslog facility '{Printable.Escape(facility)}': expected one of {string.Join(", ", Facilities.Keys)}");
        }

        if (spec.StartsWith("unix:", StringComparison.Ordinal) && spec.Length > 5)
        {
            return new SyslogSink(spec, "unix", spec[5..], 0, code);
        }

        if (spec.StartsWith("udp:", StringComparison.Ordinal) || spec.StartsWith("tcp:", StringComparison.Ordinal))
        {
            string rest = spec[4..];
            int colon = rest.LastIndexOf(':');
            string host = colon > 0 ? rest[..colon].Trim('[', ']') : "";
            if (host.Length > 0
                && int.TryParse(rest[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out int port)
                && port is > 0 and < 65536)
            {
                return new SyslogSink(spec, spec[..3], host, port, code);
            }
        }

        throw new SysprintException(ErrorKind.Usage,
            $"--syslog '{Printable.Escape(spec)}': expected unix:PATH (e.g. unix:/dev/log), udp:HOST:PORT or tcp:HOST:PORT");
    }

    public async Task DeliverAsync(OutboxAlert alert, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(alert);
        byte[] message = Encoding.UTF8.GetBytes(Format(alert, _facility, Environment.ProcessId));
        try
        {
            _socket ??= await ConnectAsync(cancellationToken).ConfigureAwait(false);
            if (_transport == "tcp")
            {
                byte[] frame = Encoding.ASCII.GetBytes(message.Length.ToString(CultureInfo.InvariantCulture) + " ");
                await _socket.SendAsync(frame.Concat(message).ToArray(), SocketFlags.None, cancellationToken).ConfigureAwait(false);
            }
            else if (_socket.SocketType == SocketType.Stream)
            {
                // A stream /dev/log: messages end at a newline.
                await _socket.SendAsync(message.Append((byte)'\n').ToArray(), SocketFlags.None, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await _socket.SendAsync(message, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (SocketException)
        {
            Close();
            throw;
        }
    }

    public ValueTask DisposeAsync()
    {
        Close();
        return ValueTask.CompletedTask;
    }

    /// <summary>The RFC 5424 message for an alert.</summary>
    internal static string Format(OutboxAlert alert, int facility, int pid)
    {
        using JsonDocument doc = JsonDocument.Parse(alert.Json);
        JsonElement root = doc.RootElement;
        int severity = Enum.TryParse(alert.Priority, out AlertPriority priority) ? (int)priority : (int)AlertPriority.Warning;
        string hostname = root.TryGetProperty("hostname", out JsonElement h) ? h.GetString() ?? "-" : "-";
        string output = root.TryGetProperty("output", out JsonElement o) ? o.GetString() ?? "" : "";
        var sd = new StringBuilder();
        sd.Append('[').Append(StructuredDataId);
        Param(sd, "uuid", alert.Id);
        Param(sd, "rule", alert.Rule);
        Param(sd, "source", alert.Source);
        if (root.TryGetProperty("output_fields", out JsonElement fields))
        {
            var param = new StringBuilder();
            foreach (JsonProperty field in fields.EnumerateObject())
            {
                if (field.Value.ValueKind is JsonValueKind.Null)
                {
                    continue;
                }

                string value = field.Value.ValueKind == JsonValueKind.String ? field.Value.GetString()! : field.Value.GetRawText();
                param.Clear();
                Param(param, field.Name.Replace('.', '_'), value);

                // A field that no longer fits is left out whole, never cut inside its quotes.
                if (Encoding.UTF8.GetByteCount(sd.ToString()) + Encoding.UTF8.GetByteCount(param.ToString()) + 1 <= MaxDataBytes)
                {
                    sd.Append(param);
                }
            }
        }

        sd.Append(']');
        string msgid = alert.Source == "internal" ? "internal" : "anomaly";
        string head = string.Create(CultureInfo.InvariantCulture,
            $"<{(facility * 8) + severity}>1 {alert.Time.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'} {Token(hostname, 255)} sysprint {pid} {msgid} {sd} ");
        return head + Cut(Printable.Escape(output), MaxMessageBytes - Encoding.UTF8.GetByteCount(head));
    }

    /// <summary>
    /// <paramref name="text"/> in at most <paramref name="maxBytes"/> bytes of UTF-8: whole, or its
    /// start followed by <c>...</c>, never splitting a character.
    /// </summary>
    private static string Cut(string text, int maxBytes)
    {
        if (Encoding.UTF8.GetByteCount(text) <= maxBytes)
        {
            return text;
        }

        int budget = maxBytes - 3;
        int bytes = 0;
        int end = 0;
        while (end < text.Length)
        {
            int width = char.IsSurrogatePair(text, end) ? 2 : 1;
            int size = Encoding.UTF8.GetByteCount(text.AsSpan(end, width));
            if (bytes + size > budget)
            {
                break;
            }

            bytes += size;
            end += width;
        }

        return string.Concat(text.AsSpan(0, end), "...");
    }

    /// <summary>A header field: printable ASCII without spaces, at most <paramref name="max"/> characters, or <c>-</c>.</summary>
    private static string Token(string value, int max)
    {
        var sb = new StringBuilder(Math.Min(value.Length, max));
        foreach (char c in value)
        {
            if (sb.Length == max)
            {
                break;
            }

            sb.Append(c is > ' ' and < (char)127 ? c : '_');
        }

        return sb.Length == 0 ? "-" : sb.ToString();
    }

    /// <summary>
    /// An SD-PARAM: the name is at most 32 printable characters without <c>= ] "</c>; the value,
    /// cut to <see cref="MaxValueChars"/> (in UTF-8 bytes, which bounds the characters too), escapes <c>" \ ]</c>.
    /// </summary>
    private static void Param(StringBuilder sd, string name, string value)
    {
        string safeName = new([.. Token(name, 32).Where(c => c is not ('=' or ']' or '"'))]);
        sd.Append(' ').Append(safeName).Append("=\"");
        string escaped = Printable.Escape(value);
        if (escaped.Length > MaxValueChars)
        {
            escaped = Cut(escaped, MaxValueChars);
        }

        foreach (char c in escaped)
        {
            if (c is '"' or '\\' or ']')
            {
                sd.Append('\\');
            }

            sd.Append(c);
        }

        sd.Append('"');
    }

    private async Task<Socket> ConnectAsync(CancellationToken cancellationToken)
    {
        if (_transport == "unix")
        {
            var endpoint = new UnixDomainSocketEndPoint(_address);
            var datagram = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
            try
            {
                await datagram.ConnectAsync(endpoint, cancellationToken).ConfigureAwait(false);
                return datagram;
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ProtocolType)
            {
                // Some hosts' /dev/log is a stream socket.
                datagram.Dispose();
                var stream = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                await stream.ConnectAsync(endpoint, cancellationToken).ConfigureAwait(false);
                return stream;
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.AddressNotAvailable or SocketError.ConnectionRefused)
            {
                // .NET says "Cannot assign requested address" for a socket file that does not exist.
                datagram.Dispose();
                string why = File.Exists(_address) ? "nothing listens on it (connection refused)" : "it does not exist";
                throw new IOException($"{_address}: no syslog daemon to take the alert, {why}: start one (rsyslog, or systemd-journald's /dev/log), or remove this syslog sink", e);
            }
            catch
            {
                datagram.Dispose();
                throw;
            }
        }

        IPAddress[] addresses = IPAddress.TryParse(_address, out IPAddress? literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(_address, cancellationToken).ConfigureAwait(false);
        if (addresses.Length == 0)
        {
            throw new SocketException((int)SocketError.HostNotFound);
        }

        var socket = _transport == "tcp"
            ? new Socket(addresses[0].AddressFamily, SocketType.Stream, ProtocolType.Tcp)
            : new Socket(addresses[0].AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            await socket.ConnectAsync(new IPEndPoint(addresses[0], _port), cancellationToken).ConfigureAwait(false);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private void Close()
    {
        _socket?.Dispose();
        _socket = null;
    }
}
