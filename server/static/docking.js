// The docking page's live progress (对接抄表机). While a job runs, ask the
// server every half second how far each job is and move its bar; when a
// job starts or ends, fetch the page again and swap in its job list, which
// the server renders with the report.
(function () {
	'use strict';
	var period = 500;

	function running() {
		return document.querySelector('#jobs [data-state="running"]') !== null;
	}

	// show moves a job's bar; false when the page no longer says the job
	// as it is (a new job, or one that ended).
	function show(job) {
		var el = document.getElementById('job-' + job.id);
		if (!el || el.dataset.state !== job.state) {
			return false;
		}
		var bar = el.querySelector('progress');
		if (!bar) {
			return true;
		}
		el.querySelector('.step').textContent = job.step;
		var pct = el.querySelector('.pct');
		if (job.total > 0) {
			bar.max = job.total;
			bar.value = job.done;
			pct.textContent = Math.min(100, Math.floor(100 * job.done / job.total)) + '%';
		} else {
			bar.removeAttribute('value');
			pct.textContent = '';
		}
		return true;
	}

	function swapJobs() {
		return fetch('/docking', {credentials: 'same-origin'})
			.then(function (r) { return r.text(); })
			.then(function (html) {
				var fresh = new DOMParser().parseFromString(html, 'text/html').getElementById('jobs');
				if (fresh) {
					document.getElementById('jobs').replaceWith(fresh);
				}
			});
	}

	function tick() {
		fetch('/api/v1/docking/jobs', {credentials: 'same-origin', headers: {Accept: 'application/json'}})
			.then(function (r) {
				if (!r.ok) {
					throw new Error('HTTP ' + r.status);
				}
				return r.json();
			})
			.then(function (jobs) {
				var same = jobs.map(show).every(Boolean) &&
					jobs.length === document.querySelectorAll('#jobs [data-id]').length;
				return same ? null : swapJobs();
			})
			.catch(function () {})
			.then(function () {
				if (running()) {
					setTimeout(tick, period);
				}
			});
	}

	if (running()) {
		setTimeout(tick, period);
	}
})();
