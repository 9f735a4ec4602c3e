// The review queue's "全选本页": tick or untick every row of the page. The
// page works without it; this only saves clicks.
(function () {
	'use strict';
	var all = document.getElementById('pick-all');
	if (!all) {
		return;
	}
	all.addEventListener('change', function () {
		document.querySelectorAll('#queue input[name="pick"]').forEach(function (box) {
			box.checked = all.checked;
		});
	});
})();
