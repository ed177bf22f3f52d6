using System.Globalization;
using System.Text;

namespace Sysprint.Agent.Tests.Support;

/// <summary>
/// A strict reader of one RFC 5424 syslog message, as a collector parses it: header fields,
/// structured data (with <c>\" \\ \]</c> escapes in values) and the message. Throws on anything
/// that does not fit, so a test sees a forged or broken message as a failure.
/// </summary>
internal sealed record Rfc5424(int Priority, string Timestamp, string Hostname, string AppName, string ProcId, string MsgId,
    IReadOnlyList<(string Id, IReadOnlyDictionary<string, string> Params)> Data, string Message)
{
    public static Rfc5424 Parse(string text)
    {
        int at = 0;
        Expect(text, ref at, '<');
        int close = text.IndexOf('>', at);
        int priority = int.Parse(text[at..close], NumberStyles.None, CultureInfo.InvariantCulture);
        at = close + 1;
        Expect(text, ref at, '1');
        Expect(text, ref at, ' ');
        string timestamp = Field(text, ref at);
        string hostname = Field(text, ref at);
        string app = Field(text, ref at);
        string procId = Field(text, ref at);
        string msgId = Field(text, ref at);
        var data = new List<(string, IReadOnlyDictionary<string, string>)>();
        if (text[at] == '-')
        {
            at++;
        }
        else
        {
            while (at < text.Length && text[at] == '[')
            {
                at++;
                string id = Name(text, ref at);
                var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
                while (text[at] == ' ')
                {
                    at++;
                    string name = Name(text, ref at);
                    Expect(text, ref at, '=');
                    Expect(text, ref at, '"');
                    var value = new StringBuilder();
                    while (text[at] != '"')
                    {
                        if (text[at] == '\\' && text[at + 1] is '"' or '\\' or ']')
                        {
                            at++;
                        }
                        else if (text[at] == ']')
                        {
                            throw new FormatException($"an unescaped ']' in the value of {name} at {at}");
                        }

                        value.Append(text[at++]);
                    }

                    at++;
                    Assert.True(parameters.TryAdd(name, value.ToString()), $"parameter {name} twice");
                }

                Expect(text, ref at, ']');
                data.Add((id, parameters));
            }
        }

        string message = "";
        if (at < text.Length)
        {
            Expect(text, ref at, ' ');
            message = text[at..];
        }

        return new Rfc5424(priority, timestamp, hostname, app, procId, msgId, data, message);
    }

    private static void Expect(string text, ref int at, char c)
    {
        if (at >= text.Length || text[at] != c)
        {
            throw new FormatException($"expected '{c}' at {at} of {text[..Math.Min(text.Length, 200)]}");
        }

        at++;
    }

    /// <summary>A header field: printable ASCII up to the next space.</summary>
    private static string Field(string text, ref int at)
    {
        int start = at;
        while (text[at] != ' ')
        {
            if (text[at] is < '!' or > '~')
            {
                throw new FormatException($"a non-printable character in a header field at {at}");
            }

            at++;
        }

        return text[start..at++];
    }

    /// <summary>An SD-ID or PARAM-NAME: 1-32 printable ASCII characters but <c>= ] " SP</c>.</summary>
    private static string Name(string text, ref int at)
    {
        int start = at;
        while (text[at] is > ' ' and <= '~' and not ('=' or ']' or '"'))
        {
            at++;
        }

        if (at == start || at - start > 32)
        {
            throw new FormatException($"a bad SD name at {start}");
        }

        return text[start..at];
    }
}
