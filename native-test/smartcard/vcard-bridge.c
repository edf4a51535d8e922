/*
 * kyso-vcard-bridge: joins one libcacard virtual CAC card (an NSS database holding the key and
 * certificate; its password is the PIN) to one slot of vsmartcard's vpcd reader driver.
 *
 * vpcd listens on TCP (35963 for its first slot, 35964 for the second); this program connects
 * as the "card". Every message either way is a 2-byte big-endian length and that many bytes.
 * A 1-byte message from vpcd is a control code: 0 power off, 1 power on, 2 reset, 4 get ATR
 * (answered with the ATR). Anything longer is a command APDU, answered with the response APDU.
 * While this program is connected vpcd reports a card present; when it exits, absent.
 *
 * libcacard keeps no PIN retry counter, so VERIFY (INS 0x20) is modelled here: a wrong PIN
 * answers 63 Cx with the tries left, the last one and every later VERIFY 69 83, the right PIN
 * resets the counter. The counter can live in a state file so that a card pulled and put back
 * keeps it, like a real card.
 *
 * Usage: kyso-vcard-bridge --db DIR --cert NICKNAME [--port 35963] [--host 127.0.0.1]
 *          [--atr HEX] [--serial HEX8] [--tries 3] [--state FILE] [--ready FILE]
 * Set KYSO_BRIDGE_TRACE=1 to log every APDU and response to stderr. TEST use only.
 */
#include <libcacard.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_MESSAGE 65538
#define READER_NAME "Kyso Virtual Reader"

static int sock = -1;
static int max_tries = 3;
static int tries_left = 3;
static const char *state_file = NULL;
static unsigned char atr_override[64];
static int atr_override_len = 0;
/* libcacard gives every card the same card unique ID, whose last 8 bytes OpenSC reports as the
 * token serial; --serial replaces them in responses so that two virtual cards differ. */
static const unsigned char default_serial[8] = {0x00, 0x00, 0x58, 0xbd, 0x00, 0x2c, 0x19, 0xb5};
static unsigned char serial_override[8];
static int serial_override_set = 0;

static void die(const char *what) {
    fprintf(stderr, "kyso-vcard-bridge: %s: %s\n", what, errno ? strerror(errno) : "failed");
    exit(1);
}

static void quickack(void) {
    int one = 1;
    /* Linux clears TCP_QUICKACK by itself after a while: set it again after every read. */
    setsockopt(sock, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
}

static int read_full(unsigned char *buf, size_t len) {
    size_t got = 0;
    while (got < len) {
        ssize_t n = recv(sock, buf + got, len - got, 0);
        if (n == 0) return -1;
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        got += (size_t)n;
        quickack();
    }
    return 0;
}

static void send_message(const unsigned char *data, int len) {
    unsigned char out[MAX_MESSAGE];
    out[0] = (unsigned char)(len >> 8);
    out[1] = (unsigned char)len;
    memcpy(out + 2, data, (size_t)len);
    size_t sent = 0, total = (size_t)len + 2;
    while (sent < total) {
        ssize_t n = send(sock, out + sent, total - sent, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            die("send");
        }
        sent += (size_t)n;
    }
}

static void load_state(void) {
    if (!state_file) return;
    FILE *f = fopen(state_file, "r");
    if (!f) return;
    int value;
    if (fscanf(f, "%d", &value) == 1 && value >= 0 && value <= max_tries) tries_left = value;
    fclose(f);
}

static void save_state(void) {
    if (!state_file) return;
    FILE *f = fopen(state_file, "w");
    if (!f) return;
    fprintf(f, "%d\n", tries_left);
    fclose(f);
}

static int parse_hex(const char *hex, unsigned char *out, int max) {
    int len = 0;
    for (const char *p = hex; *p;) {
        if (*p == ' ' || *p == ':') {
            p++;
            continue;
        }
        unsigned int byte;
        if (len >= max || sscanf(p, "%2x", &byte) != 1 || !p[1]) return -1;
        out[len++] = (unsigned char)byte;
        p += 2;
    }
    return len;
}

/* Sends one APDU to the virtual card; returns the response length. */
static int transmit(VReader *reader, unsigned char *apdu, int len, unsigned char *response) {
    int response_len = MAX_MESSAGE - 2;
    if (vreader_xfr_bytes(reader, apdu, len, response, &response_len) != VREADER_OK) {
        response[0] = 0x6f;
        response[1] = 0x00;
        return 2;
    }
    return response_len;
}

static void replace_serial(unsigned char *response, int len) {
    if (!serial_override_set) return;
    for (int i = 0; i + 8 <= len; i++)
        if (memcmp(response + i, default_serial, 8) == 0) memcpy(response + i, serial_override, 8);
}

static int status_word(const unsigned char *response, int len) {
    return len >= 2 ? (response[len - 2] << 8) | response[len - 1] : 0;
}

/* VERIFY with the retry counter libcacard does not keep. */
static int verify(VReader *reader, unsigned char *apdu, int len, unsigned char *response) {
    int has_data = len > 5 && apdu[4] > 0;
    if (tries_left == 0) {
        response[0] = 0x69;
        response[1] = 0x83;
        return 2;
    }
    int response_len = transmit(reader, apdu, len, response);
    int sw = status_word(response, response_len);
    if (sw == 0x9000) {
        if (has_data && tries_left != max_tries) {
            tries_left = max_tries;
            save_state();
        }
        return response_len;
    }
    if (has_data) {
        tries_left--;
        save_state();
    }
    if (tries_left == 0) {
        response[0] = 0x69;
        response[1] = 0x83;
    } else {
        response[0] = 0x63;
        response[1] = (unsigned char)(0xc0 | tries_left);
    }
    return 2;
}

static void usage(void) {
    fprintf(stderr, "usage: kyso-vcard-bridge --db DIR --cert NICKNAME [--port N] [--host IP] "
                    "[--atr HEX] [--serial HEX8] [--tries N] [--state FILE] [--ready FILE]\n");
    exit(2);
}

int main(int argc, char **argv) {
    const char *db = NULL, *host = "127.0.0.1", *ready_file = NULL;
    const char *certs[8];
    int ncerts = 0, port = 35963;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (!value) usage();
        if (!strcmp(arg, "--db")) db = value;
        else if (!strcmp(arg, "--cert") && ncerts < 8) certs[ncerts++] = value;
        else if (!strcmp(arg, "--port")) port = atoi(value);
        else if (!strcmp(arg, "--host")) host = value;
        else if (!strcmp(arg, "--tries")) max_tries = tries_left = atoi(value);
        else if (!strcmp(arg, "--state")) state_file = value;
        else if (!strcmp(arg, "--ready")) ready_file = value;
        else if (!strcmp(arg, "--atr")) {
            atr_override_len = parse_hex(value, atr_override, sizeof atr_override);
            if (atr_override_len <= 0) usage();
        } else if (!strcmp(arg, "--serial")) {
            if (parse_hex(value, serial_override, sizeof serial_override) != 8) usage();
            serial_override_set = 1;
        } else usage();
        i++;
    }
    if (!db || ncerts == 0 || max_tries < 1 || max_tries > 15) usage();
    load_state();
    signal(SIGPIPE, SIG_IGN);
    /* A test that dies must not leave its card in the reader for the next run. */
    prctl(PR_SET_PDEATHSIG, SIGTERM);

    char options[4096];
    int used = snprintf(options, sizeof options, "db=\"%s\" use_hw=no soft=(,%s,CAC,", db,
                        READER_NAME);
    for (int i = 0; i < ncerts; i++)
        used += snprintf(options + used, sizeof options - (size_t)used, ",%s", certs[i]);
    snprintf(options + used, sizeof options - (size_t)used, ")");
    VCardEmulOptions *emul_options = vcard_emul_options(options);
    if (!emul_options) die("vcard_emul_options");
    if (vcard_emul_init(emul_options) != VCARD_EMUL_OK) die("vcard_emul_init (NSS database?)");
    VReader *reader = vreader_get_reader_by_name(READER_NAME);
    if (!reader) die("no virtual reader");
    if (vreader_card_is_present(reader) != VREADER_OK) die("no virtual card (certificate?)");

    unsigned char atr[64];
    int atr_len = sizeof atr;
    if (vreader_power_on(reader, atr, &atr_len) != VREADER_OK) die("power on");
    if (atr_override_len > 0) {
        memcpy(atr, atr_override, (size_t)atr_override_len);
        atr_len = atr_override_len;
    }

    sock = socket(AF_INET, SOCK_STREAM, 0);
    if (sock < 0) die("socket");
    int one = 1;
    setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
    if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) usage();
    if (connect(sock, (struct sockaddr *)&addr, sizeof addr) < 0) die("connect to vpcd");
    quickack();
    if (ready_file) {
        FILE *f = fopen(ready_file, "w");
        if (f) {
            fprintf(f, "%d\n", (int)getpid());
            fclose(f);
        }
    }

    int trace = getenv("KYSO_BRIDGE_TRACE") != NULL;
    static unsigned char message[MAX_MESSAGE], response[MAX_MESSAGE];
    for (;;) {
        unsigned char header[2];
        if (read_full(header, 2) < 0) break;
        int len = (header[0] << 8) | header[1];
        if (len == 0) continue;
        if (read_full(message, (size_t)len) < 0) break;
        if (len == 1) {
            switch (message[0]) {
            case 0: /* power off: a real card forgets its login */
                vreader_power_off(reader);
                break;
            case 1: /* power on */
            case 2: /* reset */
            {
                unsigned char ignored[64];
                int ignored_len = sizeof ignored;
                vreader_power_off(reader);
                vreader_power_on(reader, ignored, &ignored_len);
                break;
            }
            case 4:
                send_message(atr, atr_len);
                break;
            default:
                break;
            }
            continue;
        }
        int response_len;
        if (len >= 4 && message[1] == 0x20) response_len = verify(reader, message, len, response);
        else response_len = transmit(reader, message, len, response);
        replace_serial(response, response_len);
        if (trace) {
            fprintf(stderr, ">");
            for (int i = 0; i < len; i++) fprintf(stderr, " %02x", message[i]);
            fprintf(stderr, "\n<");
            for (int i = 0; i < response_len; i++) fprintf(stderr, " %02x", response[i]);
            fprintf(stderr, "\n");
        }
        send_message(response, response_len);
    }
    return 0;
}
