import time
import pytest
from tests.media.conftest import MediaApp, wait_until

pytestmark = pytest.mark.media


def w(page, js, timeout=20000):
    wait_until(lambda: page.evaluate('() => ' + js), timeout / 1000, js)


def test_scratch_end_to_end(media_app: MediaApp, new_page) -> None:
    seed, base = media_app.seed, media_app.base_url
    sid = seed["session_id"]
    mgr = new_page()
    mgr.on("console", lambda m: print("MGR", m.text))
    mgr.goto(f"{base}/login")
    mgr.fill("input[name=email]", seed["manager_email"]); mgr.fill("input[name=password]", seed["manager_password"])
    mgr.press("input[name=password]", "Enter"); mgr.wait_for_load_state()
    mgr.goto(f"{base}/manage/events/{seed['event_id']}/stage/{sid}")
    w(mgr, "window.eventhubStage && window.eventhubStage.status === 'live'")
    ack = mgr.evaluate("() => window.eventhubStage.emit('manage', {action: 'open'})")
    print("open", ack)
    assert ack["ok"], ack
    pan = new_page()
    pan.on("console", lambda m: print("PAN", m.text))
    p0 = seed["panelists"][0]
    pan.goto(f"{base}/e/{seed['slug']}/panelist/{p0['token']}/stage/{sid}")
    w(pan, "window.eventhubStage && window.eventhubStage.status === 'live'")
    t0 = time.time()
    pan.click("#join")
    w(pan, "window.eventhubStage.joined === true")
    print("joined after", time.time() - t0)
    pid = pan.evaluate("() => window.eventhubStage.me.participant_id")
    feed = pan.evaluate("() => window.eventhubStage.feedId")
    scr = new_page()
    scr.on("console", lambda m: print("SCR", m.text))
    scr.goto(f"{base}/stage/{sid}/screen?key={seed['screen_key']}")
    w(scr, "window.eventhubStage && window.eventhubStage.status === 'live' && window.eventhubStage.janus")
    mgr.click(f"[data-action=bring_live][data-participant='{pid}']")
    t1 = time.time()
    w(scr, f"(() => {{ const v = document.querySelector('#stage-live [data-feed-id=\"{feed}\"] video'); return v && v.videoWidth > 0; }})()")
    print("live on screen after", time.time() - t1)
    w(mgr, f"document.querySelector('tr[data-participant=\"{pid}\"]').dataset.connection === 'joined'")
    att = new_page()
    att.on("console", lambda m: print("ATT", m.text))
    att.goto(f"{base}/t/{seed['tickets'][0]}/stage/{sid}")
    w(att, f"(() => {{ const v = document.querySelector('#stage-live [data-feed-id=\"{feed}\"] video'); return v && v.videoWidth > 0; }})()")
    print("attendee sees the panelist")
    print(media_app.logs()[-1500:])
