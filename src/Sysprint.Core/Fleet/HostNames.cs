namespace Sysprint.Fleet;

/// <summary>The names hosts may enroll as: 1 to 253 characters of letters, digits, '.', '-' and '_' (a DNS name or a short hostname).</summary>
public static class HostNames
{
    public const int MaxLength = 253;

    public static bool IsValid(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > MaxLength || name[0] is '.' or '-')
        {
            return false;
        }

        foreach (char c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('.' or '-' or '_'))
            {
                return false;
            }
        }

        return true;
    }
}
