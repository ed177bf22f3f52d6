using System.Globalization;
using Sysprint.Diagnostics;

namespace Sysprint.Cli;

/// <summary>Durations on the command line: a whole number and a unit, <c>90s</c>, <c>15m</c>, <c>24h</c>, <c>7d</c>.</summary>
internal static class Durations
{
    /// <exception cref="SysprintException">Not a positive duration of that form (64).</exception>
    public static TimeSpan Parse(string text, string option)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length >= 2
            && long.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out long n)
            && n > 0 && n <= 100_000)
        {
            switch (text[^1])
            {
                case 's':
                    return TimeSpan.FromSeconds(n);
                case 'm':
                    return TimeSpan.FromMinutes(n);
                case 'h':
                    return TimeSpan.FromHours(n);
                case 'd':
                    return TimeSpan.FromDays(n);
            }
        }

        throw new SysprintException(ErrorKind.Usage, $"{option} '{Printable.Escape(text)}': expected a positive whole number and a unit: s, m, h or d (e.g. 24h)");
    }
}
