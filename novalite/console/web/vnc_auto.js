// novalite's console page: connect noVNC's RFB to novncproxy.
//
// The page is opened as vnc_auto.html?path=%3Ftoken%3D<token> (the URL the
// compute API hands out) or vnc_auto.html?token=<token>. The WebSocket always
// goes back to the host that served this page; only the path and query come
// from the URL, so a crafted link cannot point the console elsewhere.
import RFB from './core/rfb.js';

const bar = document.getElementById('bar');
const statusEl = document.getElementById('status');
const nameEl = document.getElementById('name');
const cadButton = document.getElementById('cad');

function setStatus(state, text) {
    bar.dataset.state = state;
    statusEl.textContent = text;
}

function websocketUrl() {
    const params = new URLSearchParams(window.location.search);
    let target;
    if (params.get('path')) {
        target = '/' + params.get('path').replace(/^[/\\]+/, '');
    } else if (params.get('token')) {
        target = '/?token=' + encodeURIComponent(params.get('token'));
    } else {
        return null;
    }
    const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
    return scheme + '://' + window.location.host + target;
}

function connect() {
    const url = websocketUrl();
    if (url === null) {
        setStatus('failed', 'No console token in the URL');
        return;
    }
    setStatus('connecting', 'Connecting');
    // The page opens the WebSocket itself to keep the proxy's close reason
    // (an expired token, a revoked session), which noVNC does not pass on.
    let closeReason = '';
    let rfb;
    try {
        const channel = new WebSocket(url);
        channel.addEventListener('close', (e) => { closeReason = e.reason; });
        rfb = new RFB(document.getElementById('screen'), channel);
    } catch (err) {
        setStatus('failed', 'Failed: ' + err.message);
        return;
    }
    rfb.scaleViewport = true;
    rfb.background = '#282828';
    rfb.addEventListener('connect', () => {
        setStatus('connected', 'Connected');
        cadButton.disabled = false;
    });
    rfb.addEventListener('disconnect', (e) => {
        cadButton.disabled = true;
        const why = closeReason ? ': ' + closeReason : '';
        if (e.detail.clean) {
            setStatus('disconnected', 'Disconnected' + why);
        } else {
            setStatus('failed', closeReason ? 'Failed' + why :
                      'Connection failed or closed by the server');
        }
    });
    rfb.addEventListener('credentialsrequired', () => {
        setStatus('failed', 'The console asks for a password');
        rfb.disconnect();
    });
    rfb.addEventListener('securityfailure', (e) => {
        setStatus('failed', 'Security failure: ' + (e.detail.reason || ''));
    });
    rfb.addEventListener('desktopname', (e) => {
        nameEl.textContent = e.detail.name;
        document.title = e.detail.name + ' - novalite console';
    });
    cadButton.addEventListener('click', () => rfb.sendCtrlAltDel());
    window.novaliteRFB = rfb;
}

connect();
