// qmailctl setup --tls CERT,KEY: the TLS services, made from the same run templates as the
// plaintext ones with tlsd or starttlsd in front of qmail's program. qmail-smtpd (port 25) gets
// STARTTLS, qmail-pop3d (110) STLS, and three services are added: qmail-submission (587,
// STARTTLS), qmail-smtpsd (465, SMTPS) and qmail-pop3sd (995, POP3S, with --pop3). TLS protects
// the channel only: who may relay is still decided by the tcprules cdb, on every port.
using System.Collections.Generic;
using Toolkit;

static class QmailTls
{
    // The softlimit -m around tcpserver and the TLS program: tlsd is dynamically linked (it
    // uses the system's OpenSSL) and the loader must map it and libc before any of its code
    // runs, which needs about 10.2 MB of address space; qmail's program gets the configured
    // limit again from a second softlimit after the TLS program.
    const string Memory = "30000000";

    /// <summary>Adds the TLS services to services and puts STARTTLS/STLS in front of the plaintext
    /// ones (entries using vars); false after a message if tls is not CERT or CERT,KEY.</summary>
    public static bool Add(string tls, string bin, bool pop3, string submissionPort, string smtpsPort, string pop3sPort,
        Dictionary<string, string> vars, List<(string name, string template, Dictionary<string, string> vars)> services)
    {
        var files = tls.Split(',');
        if (files.Length > 2 || files[0].Length == 0 || files.Length == 2 && files[1].Length == 0)
        {
            Errors.Warn("qmailctl: fatal: "u8, "--tls takes CERT or CERT,KEY"u8);
            return false;
        }
        var certKey = "-c " + files[0] + (files.Length == 2 ? " -k " + files[1] : "");
        string Limited(string program) => bin + "/softlimit -m " + vars["MEMORY"] + " " + program;
        string Smtpd(string tlsProgram) => tlsProgram + " " + certKey + " " + Limited(vars["SMTPD"]);
        Dictionary<string, string> With(params (string key, string value)[] changes)
        {
            var v = new Dictionary<string, string>(vars) { ["MEMORY"] = Memory };
            foreach (var (key, value) in changes) v[key] = value;
            return v;
        }

        var starttls = bin + "/starttlsd -s smtp";
        var smtpd = With(("SMTPD", Smtpd(starttls)));
        var popup = vars["POPUP"];
        for (int i = 0; i < services.Count; i++)
        {
            var (name, template, _) = services[i];
            if (name == "qmail-smtpd") services[i] = (name, template, smtpd);
            if (name == "qmail-pop3d")
                services[i] = (name, template, With(("POPUP", bin + "/starttlsd -s pop3 " + certKey + " " + Limited(popup))));
        }
        services.Add(("qmail-submission", "qmail-smtpd", With(("SMTPD", Smtpd(starttls)), ("SMTPPORT", submissionPort))));
        services.Add(("qmail-smtpsd", "qmail-smtpd", With(("SMTPD", Smtpd(bin + "/tlsd")), ("SMTPPORT", smtpsPort))));
        if (pop3)
            services.Add(("qmail-pop3sd", "qmail-pop3d",
                With(("POPUP", bin + "/tlsd " + certKey + " " + Limited(popup)), ("POP3PORT", pop3sPort))));
        return true;
    }
}
